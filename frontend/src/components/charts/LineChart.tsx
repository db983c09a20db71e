import { useState } from "preact/hooks";
import { type Domain, type Point, ema, extent, formatTicks, linear, linePath, padded, thin, ticks, valueAxis } from "../../logic/chartScale";
import { figure, percent } from "../../logic/format";

export interface Series {
  key: string;
  label: string;
  points: Point[];
}

interface Props {
  title: string;
  series: Series[];
  /** A 0–100 % axis (accuracy). */
  share?: boolean;
  /** Draw the raw line faint and an exponential moving average over it. */
  smooth?: boolean;
  height?: number;
  /** data-testid; "chart-" and the title's letters when not given. */
  testId?: string;
}

const WIDTH = 460;
const LEFT = 54; // room for a nine-character tick label ("-9.98e-10", chartScale's longest)
const RIGHT = 10;
const TOP = 8;
const BOTTOM = 20;
const MAX_POINTS = 600;

type Scale = (value: number) => number;

/** A legend's value: as the run screens print every figure (format's figure), or a share. */
function show(value: number | null | undefined, share?: boolean): string {
  return share ? percent(value, 1) : figure(value);
}

/** The value of `s` at `step`, or null where it has none. */
const valueAt = (s: Series, step: number) => s.points.find((p) => p.x === step)?.y ?? null;

function lastValue(s: Series): number | null {
  for (let i = s.points.length - 1; i >= 0; i--) {
    const y = s.points[i].y;
    if (y !== null && y !== undefined) return y;
  }
  return null;
}

/** Domains, scales and tick labels shared by every series of the chart. */
function frame(series: Series[], share: boolean | undefined, height: number) {
  const all = series.flatMap((s) => s.points);
  const xDomain = padded(extent(all.map((p) => p.x)), [0, 1]);
  const values = share ? null : valueAxis(all.map((p) => p.y), 3);
  const yDomain: Domain = values?.domain ?? [0, 1];
  const yTicks = values?.ticks ?? ticks(yDomain, 3);
  const xTicks = ticks(xDomain, 5).filter((tick) => Number.isInteger(tick));
  return {
    xDomain,
    x: linear(xDomain, [LEFT, WIDTH - RIGHT]),
    y: linear(yDomain, [height - BOTTOM, TOP]),
    yTicks,
    yLabels: values?.labels ?? formatTicks(yTicks.map((t) => t * 100)).map((l) => `${l}%`),
    xTicks,
    xLabels: formatTicks(xTicks),
    steps: [...new Set(all.filter((p) => p.y !== null && p.y !== undefined).map((p) => p.x))].sort((a, b) => a - b),
  };
}

/** The step under the pointer, the nearest one that has a value. */
function useHoverStep(steps: number[], xDomain: Domain) {
  const [hover, setHover] = useState<number | null>(null);
  const onMove = (event: MouseEvent) => {
    const box = (event.currentTarget as SVGSVGElement).getBoundingClientRect();
    if (!steps.length || box.width === 0) return;
    const step = xDomain[0] + ((((event.clientX - box.left) / box.width) * WIDTH - LEFT) / (WIDTH - LEFT - RIGHT)) * (xDomain[1] - xDomain[0]);
    let best = 0;
    for (let i = 1; i < steps.length; i++) if (Math.abs(steps[i] - step) < Math.abs(steps[best] - step)) best = i;
    setHover(best);
  };
  const hovered = hover === null ? null : (steps[hover] ?? null);
  return { hovered, onMove, onLeave: () => setHover(null) };
}

/** One panel of curves over steps (a run's, or several runs' overlaid); hover reads the values at a step. */
export function LineChart({ title, series, share, smooth, height = 170, testId }: Props) {
  const drawn = series.map((s) => ({ ...s, points: thin(s.points, MAX_POINTS) }));
  const chart = frame(drawn, share, height);
  const { hovered, onMove, onLeave } = useHoverStep(chart.steps, chart.xDomain);
  return (
    <figure class="line-chart" data-testid={testId ?? `chart-${title.toLowerCase().replace(/[^a-z]+/g, "-")}`}>
      <figcaption>
        <span class="chart-title">{title}</span>
        <Legend series={drawn} hovered={hovered} share={share} />
      </figcaption>
      <svg
        class="chart"
        viewBox={`0 0 ${WIDTH} ${height}`}
        role="img"
        aria-label={`${title} over ${chart.steps.length} steps`}
        onMouseMove={onMove}
        onMouseLeave={onLeave}
      >
        <Axes chart={chart} height={height} />
        {drawn.map((s, i) => <SeriesLine key={s.key} series={s} index={i} smooth={smooth} x={chart.x} y={chart.y} />)}
        {hovered !== null && <line class="hover-rule" x1={chart.x(hovered)} x2={chart.x(hovered)} y1={TOP} y2={height - BOTTOM} />}
      </svg>
    </figure>
  );
}

function Legend({ series, hovered, share }: { series: Series[]; hovered: number | null; share?: boolean }) {
  return (
    <span class="chart-legend">
      {series.map((s, i) => (
        <span key={s.key} class="legend-item" data-series={s.key}>
          <span class={`swatch series-${i}`} />
          {s.label} <strong>{show(hovered !== null ? valueAt(s, hovered) : lastValue(s), share)}</strong>
        </span>
      ))}
      {hovered !== null && <span class="muted">step {hovered}</span>}
    </span>
  );
}

function Axes({ chart, height }: { chart: ReturnType<typeof frame>; height: number }) {
  const { x, y } = chart;
  return (
    <>
      {chart.yTicks.map((tick, i) => (
        <g key={`y${tick}`}>
          <line class="grid" x1={LEFT} x2={WIDTH - RIGHT} y1={y(tick)} y2={y(tick)} />
          <text class="tick" x={LEFT - 5} y={y(tick) + 3} text-anchor="end">{chart.yLabels[i]}</text>
        </g>
      ))}
      {chart.xTicks.map((tick, i) => (
        <text key={`x${tick}`} class="tick" x={x(tick)} y={height - 5} text-anchor="middle">{chart.xLabels[i]}</text>
      ))}
      <line class="axis" x1={LEFT} x2={WIDTH - RIGHT} y1={height - BOTTOM} y2={height - BOTTOM} />
    </>
  );
}

function SeriesLine({ series, index, smooth, x, y }: { series: Series; index: number; smooth?: boolean; x: Scale; y: Scale }) {
  const { points } = series;
  const smoothed = smooth && points.length > 8 ? ema(points.map((p) => p.y)) : null;
  return (
    <g class={`series-${index}`}>
      <path class={smoothed ? "line line-raw" : "line"} d={linePath(points, x, y)} />
      {smoothed && <path class="line" d={linePath(points.map((p, j) => ({ x: p.x, y: smoothed[j] })), x, y)} />}
      {points.length <= 30 &&
        points.map((p) => (p.y === null || p.y === undefined ? null : <circle key={p.x} class="dot" cx={x(p.x)} cy={y(p.y)} r={2.5} />))}
    </g>
  );
}

import { useState } from "preact/hooks";
import { type Point, ema, extent, formatTicks, linear, linePath, niceDomain, padded, thin, ticks } from "../../logic/chartScale";

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
}

const WIDTH = 460;
const LEFT = 44;
const RIGHT = 10;
const TOP = 8;
const BOTTOM = 20;
const MAX_POINTS = 600;

function show(value: number | null | undefined, share?: boolean): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (share) return `${(value * 100).toFixed(1)}%`;
  const size = Math.abs(value);
  return size !== 0 && (size < 1e-3 || size >= 1e5) ? value.toExponential(2) : value.toPrecision(4).replace(/\.?0+$/, "");
}

/** One panel of a run's curves over steps; hover reads the values at a step. */
export function LineChart({ title, series, share, smooth, height = 170 }: Props) {
  const [hover, setHover] = useState<number | null>(null);
  const drawn = series.map((s) => ({ ...s, points: thin(s.points, MAX_POINTS) }));
  const all = drawn.flatMap((s) => s.points);
  const xDomain = padded(extent(all.map((p) => p.x)), [0, 1]);
  const yDomain = share ? ([0, 1] as [number, number]) : niceDomain(padded(extent(all.map((p) => p.y))), 3);
  const x = linear(xDomain, [LEFT, WIDTH - RIGHT]);
  const y = linear(yDomain, [height - BOTTOM, TOP]);
  const yTicks = ticks(yDomain, 3);
  const yLabels = share ? formatTicks(yTicks.map((t) => t * 100)).map((l) => `${l}%`) : formatTicks(yTicks);
  const xTicks = ticks(xDomain, 5).filter((tick) => Number.isInteger(tick));
  const xLabels = formatTicks(xTicks);
  const steps = [...new Set(all.filter((p) => p.y !== null && p.y !== undefined).map((p) => p.x))].sort((a, b) => a - b);
  const hovered = hover === null ? null : steps[hover];

  const onMove = (event: MouseEvent) => {
    const svg = event.currentTarget as SVGSVGElement;
    const box = svg.getBoundingClientRect();
    if (!steps.length || box.width === 0) return;
    const step = xDomain[0] + ((((event.clientX - box.left) / box.width) * WIDTH - LEFT) / (WIDTH - LEFT - RIGHT)) * (xDomain[1] - xDomain[0]);
    let best = 0;
    for (let i = 1; i < steps.length; i++) if (Math.abs(steps[i] - step) < Math.abs(steps[best] - step)) best = i;
    setHover(best);
  };

  const valueAt = (s: Series, step: number | undefined | null) =>
    step === null || step === undefined ? null : (s.points.find((p) => p.x === step)?.y ?? null);
  const lastValue = (s: Series) => {
    for (let i = s.points.length - 1; i >= 0; i--) if (s.points[i].y !== null && s.points[i].y !== undefined) return s.points[i].y;
    return null;
  };

  return (
    <figure class="line-chart" data-testid={`chart-${title.toLowerCase().replace(/[^a-z]+/g, "-")}`}>
      <figcaption>
        <span class="chart-title">{title}</span>
        <span class="chart-legend">
          {drawn.map((s, i) => (
            <span key={s.key} class="legend-item">
              <span class={`swatch series-${i}`} />
              {s.label} <strong>{show(hovered !== null ? valueAt(s, hovered) : lastValue(s), share)}</strong>
            </span>
          ))}
          {hovered !== null && hovered !== undefined && <span class="muted">step {hovered}</span>}
        </span>
      </figcaption>
      <svg
        class="chart"
        viewBox={`0 0 ${WIDTH} ${height}`}
        role="img"
        aria-label={`${title} over ${steps.length} steps`}
        onMouseMove={onMove}
        onMouseLeave={() => setHover(null)}
      >
        {yTicks.map((tick, i) => (
          <g key={`y${tick}`}>
            <line class="grid" x1={LEFT} x2={WIDTH - RIGHT} y1={y(tick)} y2={y(tick)} />
            <text class="tick" x={LEFT - 5} y={y(tick) + 3} text-anchor="end">{yLabels[i]}</text>
          </g>
        ))}
        {xTicks.map((tick, i) => (
          <text key={`x${tick}`} class="tick" x={x(tick)} y={height - 5} text-anchor="middle">{xLabels[i]}</text>
        ))}
        <line class="axis" x1={LEFT} x2={WIDTH - RIGHT} y1={height - BOTTOM} y2={height - BOTTOM} />
        {drawn.map((s, i) => {
          const smoothed = smooth && s.points.length > 8 ? ema(s.points.map((p) => p.y)) : null;
          return (
            <g key={s.key} class={`series-${i}`}>
              <path class={smoothed ? "line line-raw" : "line"} d={linePath(s.points, x, y)} />
              {smoothed && <path class="line" d={linePath(s.points.map((p, j) => ({ x: p.x, y: smoothed[j] })), x, y)} />}
              {s.points.length <= 30 &&
                s.points.map((p) =>
                  p.y === null || p.y === undefined ? null : <circle key={p.x} class="dot" cx={x(p.x)} cy={y(p.y)} r={2.5} />,
                )}
            </g>
          );
        })}
        {hovered !== null && hovered !== undefined && (
          <line class="hover-rule" x1={x(hovered)} x2={x(hovered)} y1={TOP} y2={height - BOTTOM} />
        )}
      </svg>
    </figure>
  );
}

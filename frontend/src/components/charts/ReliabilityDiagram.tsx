import { linear } from "../../logic/chartScale";
import { percent } from "../../logic/format";
import { diagramBars } from "../../logic/rewardReport";
import type { CalibrationBin } from "../../types";

const WIDTH = 320;
const HEIGHT = 240;
const LEFT = 40;
const RIGHT = 10;
const TOP = 10;
const BOTTOM = 34;
const X_TICKS = [0.5, 0.6, 0.7, 0.8, 0.9, 1];
const Y_TICKS = [0, 0.25, 0.5, 0.75, 1];

/** A reliability diagram: per confidence bin (σ(|margin|), 0.5 to 1) the share of pairs the model
 * got right, as a bar with a dot at the bin's mean confidence sized by its pairs; the diagonal is
 * perfect calibration (bars below it: over-confident). */
export function ReliabilityDiagram({ bins, ece }: { bins: CalibrationBin[]; ece: number }) {
  const x = linear([0.5, 1], [LEFT, WIDTH - RIGHT]);
  const y = linear([0, 1], [HEIGHT - BOTTOM, TOP]);
  const bars = diagramBars(bins, x, y);
  const label = `Reliability diagram, expected calibration error ${percent(ece, 1)}: ${bins.length} bins`;
  return (
    <svg class="chart reliability-diagram" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label} data-testid="reliability-diagram">
      {Y_TICKS.map((tick) => (
        <g key={`y${tick}`}>
          <line class="grid" x1={LEFT} x2={WIDTH - RIGHT} y1={y(tick)} y2={y(tick)} />
          <text class="tick" x={LEFT - 6} y={y(tick) + 3} text-anchor="end">{percent(tick)}</text>
        </g>
      ))}
      {X_TICKS.map((tick) => (
        <text key={`x${tick}`} class="tick" x={x(tick)} y={HEIGHT - BOTTOM + 14} text-anchor="middle">{percent(tick)}</text>
      ))}
      <text class="tick axis-title" x={(LEFT + WIDTH - RIGHT) / 2} y={HEIGHT - 4} text-anchor="middle">confidence σ(|margin|)</text>
      <line class="axis" x1={LEFT} x2={WIDTH - RIGHT} y1={y(0)} y2={y(0)} />
      <line class="diagonal" x1={x(0.5)} y1={y(0.5)} x2={x(1)} y2={y(1)} />
      {bars.map((bar) => (
        <g key={bar.bin.low} class="bin" data-testid="reliability-bin">
          <title>
            {`${percent(bar.bin.low)}–${percent(bar.bin.high)} confidence: ${bar.bin.count} pairs, ` +
              `${percent(bar.bin.accuracy, 1)} right at ${percent(bar.bin.confidence, 1)} mean confidence`}
          </title>
          <rect class="bin-bar" x={bar.x} y={bar.y} width={bar.width} height={bar.height} />
          <circle class="bin-dot" cx={bar.dotX} cy={bar.dotY} r={bar.radius} />
        </g>
      ))}
    </svg>
  );
}

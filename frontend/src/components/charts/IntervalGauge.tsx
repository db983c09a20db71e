import { linear } from "../../logic/chartScale";
import { fixed } from "../../logic/format";

interface Props {
  value: number | null;
  low?: number | null;
  high?: number | null;
  /** Thresholds drawn as zone boundaries, e.g. Krippendorff's 0.667 and 0.8. */
  marks?: number[];
  domain?: [number, number];
  label: string;
}

const WIDTH = 240;
const HEIGHT = 30;
const PAD = 8;

/** A value on a fixed axis, its confidence interval as a band, and reference thresholds. */
export function IntervalGauge({ value, low = null, high = null, marks = [], domain = [0, 1], label }: Props) {
  // Negative figures (worse than chance) widen the axis to the next tenth below.
  const lo = Math.min(domain[0], Math.floor(Math.min(value ?? domain[0], low ?? domain[0]) * 10) / 10);
  const x = linear([lo, domain[1]], [PAD, WIDTH - PAD]);
  const clamp = (v: number) => Math.min(WIDTH - PAD, Math.max(PAD, x(v)));
  const mid = 12;
  const describe = value === null ? "undefined" : `${fixed(value)}${low !== null && high !== null ? `, 95% CI ${fixed(low)} to ${fixed(high)}` : ""}`;
  return (
    <svg class="chart gauge" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${label}: ${describe}`}>
      <line class="gauge-track" x1={PAD} x2={WIDTH - PAD} y1={mid} y2={mid} />
      {marks.map((mark) => (
        <line key={mark} class="gauge-mark" x1={x(mark)} x2={x(mark)} y1={mid - 6} y2={mid + 6} />
      ))}
      {[lo, ...(lo < 0 && x(0) - x(lo) > 28 ? [0] : []), domain[1]].map((tick) => (
        <text key={tick} class="tick" x={x(tick)} y={HEIGHT - 2} text-anchor="middle">{fixed(tick, tick % 1 ? 1 : 0)}</text>
      ))}
      {low !== null && high !== null && (
        <rect class="gauge-ci" x={clamp(low)} y={mid - 5} width={Math.max(2, clamp(high) - clamp(low))} height={10} rx={5} />
      )}
      {value !== null && <circle class="gauge-dot" cx={clamp(value)} cy={mid} r={5} />}
    </svg>
  );
}

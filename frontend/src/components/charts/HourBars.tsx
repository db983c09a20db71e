import { linear, niceDomain, ticks } from "../../logic/chartScale";

interface Props {
  /** Oldest first; the last bar is the current (partial) hour. */
  hours: { hour: string; count: number }[];
  height?: number;
}

const WIDTH = 320;
const LEFT = 26;
const BOTTOM = 16;

/** Judgments per clock hour as bars, the current hour lighter; local-time labels every 6 hours. */
export function HourBars({ hours, height = 80 }: Props) {
  const max = Math.max(1, ...hours.map((h) => h.count));
  const domain = niceDomain([0, max], 2);
  const y = linear(domain, [height - BOTTOM, 4]);
  const barWidth = (WIDTH - LEFT) / Math.max(1, hours.length);
  const label = (iso: string) => `${String(new Date(iso).getHours()).padStart(2, "0")}:00`;
  return (
    <svg class="chart hour-bars" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label="Judgments per hour, last 24 hours">
      {ticks(domain, 2).map((tick) => (
        <g key={tick}>
          <line class="grid" x1={LEFT} x2={WIDTH} y1={y(tick)} y2={y(tick)} />
          <text class="tick" x={LEFT - 4} y={y(tick) + 3} text-anchor="end">{tick}</text>
        </g>
      ))}
      {hours.map((h, i) => {
        const top = y(h.count);
        const current = i === hours.length - 1;
        return (
          <g key={h.hour}>
            <rect
              class={`hour-bar${current ? " is-current" : ""}`}
              x={LEFT + i * barWidth + 1}
              y={top}
              width={Math.max(1, barWidth - 2)}
              height={Math.max(0, height - BOTTOM - top)}
              rx={1.5}
            >
              <title>{`${label(h.hour)}: ${h.count} judgment${h.count === 1 ? "" : "s"}${current ? " (this hour so far)" : ""}`}</title>
            </rect>
            {i % 6 === 0 && (
              <text class="tick" x={LEFT + i * barWidth + barWidth / 2} y={height - 3} text-anchor="middle">{label(h.hour)}</text>
            )}
          </g>
        );
      })}
      <text class="tick" x={WIDTH - barWidth / 2} y={height - 3} text-anchor="middle">now</text>
    </svg>
  );
}

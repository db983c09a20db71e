export interface Segment {
  label: string;
  value: number;
  /** A class from dashboard.css: seg-done, seg-partial, seg-leased, seg-rest. */
  tone: string;
}

/** A horizontal bar split into shares of `total`, with its legend. */
export function StackedBar({ segments, total, label }: { segments: Segment[]; total: number; label: string }) {
  const share = (value: number) => (total > 0 ? (100 * value) / total : 0);
  return (
    <div class="stacked">
      <div class="stacked-bar" role="img" aria-label={`${label}: ${segments.map((s) => `${s.label} ${s.value}`).join(", ")} of ${total}`}>
        {segments.map((segment) =>
          segment.value > 0 ? (
            <span key={segment.label} class={`stacked-seg ${segment.tone}`} style={{ width: `${share(segment.value)}%` }} title={`${segment.label}: ${segment.value}`} />
          ) : null,
        )}
      </div>
      <div class="legend">
        {segments.map((segment) => (
          <span key={segment.label} class="legend-item">
            <span class={`swatch ${segment.tone}`} />
            {segment.label} <strong>{segment.value.toLocaleString("en-US")}</strong>
          </span>
        ))}
      </div>
    </div>
  );
}

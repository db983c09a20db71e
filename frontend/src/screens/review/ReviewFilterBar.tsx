import type { ReviewFilters } from "../../logic/reviewQuery";
import type { ReviewStateFilter } from "../../types";

const STATES: [ReviewStateFilter, string][] = [
  ["unreviewed", "Not reviewed"],
  ["accepted", "Accepted"],
  ["rejected", "Rejected"],
  ["all", "All"],
];

const CHECKS: [keyof Pick<ReviewFilters, "flagged" | "disagrees" | "wrongOnGold">, string, string][] = [
  ["flagged", "Flagged", "On comparisons someone flagged"],
  ["disagrees", "Disagrees", "Most other judgments on the comparison gave another verdict"],
  ["wrongOnGold", "Wrong on gold", "A gold comparison answered against its gold answer"],
];

/** Which judgments the queue lists: by review, annotator and why they may need a look. */
export function ReviewFilterBar({ filters, onChange }: { filters: ReviewFilters; onChange: (f: ReviewFilters) => void }) {
  return (
    <form class="review-filters" onSubmit={(e) => e.preventDefault()} data-testid="review-filters">
      <label class="field">
        <span>Review</span>
        <select
          value={filters.state}
          onChange={(e) => onChange({ ...filters, state: (e.currentTarget as HTMLSelectElement).value as ReviewStateFilter })}
          data-testid="review-state-filter"
        >
          {STATES.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
        </select>
      </label>
      <label class="field">
        <span>Annotator</span>
        <input
          value={filters.annotator}
          placeholder="everyone"
          onChange={(e) => onChange({ ...filters, annotator: (e.currentTarget as HTMLInputElement).value })}
          data-testid="review-annotator-filter"
        />
      </label>
      <div class="chips">
        {CHECKS.map(([key, label, title]) => (
          <label key={key} class="chip chip-check" title={title}>
            <input type="checkbox" checked={filters[key]} onChange={() => onChange({ ...filters, [key]: !filters[key] })} data-testid={`review-filter-${key}`} />
            {label}
          </label>
        ))}
      </div>
    </form>
  );
}

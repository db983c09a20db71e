import type { FilterForm } from "../../logic/exportQuery";
import type { AnnotatorQuality } from "../../types";

interface Props {
  value: FilterForm;
  onChange: (next: FilterForm) => void;
  errors: Record<string, string>;
  /** Model names seen in the project (from the stats), for the model filter. */
  models: string[];
  /** Annotators with their outlier flag (from the stats), for leaving people out. */
  annotators: AnnotatorQuality[];
}

/** The export filters, shared by the download form and the snapshot form. */
export function FilterFields({ value, onChange, errors, models, annotators }: Props) {
  const set = <K extends keyof FilterForm>(key: K, v: FilterForm[K]) => onChange({ ...value, [key]: v });
  const toggle = <T,>(list: T[], item: T, on: boolean) => (on ? [...list, item] : list.filter((x) => x !== item));
  const outliers = annotators.filter((a) => a.outlier).map((a) => a.annotator);
  const allOutliersOut = outliers.length > 0 && outliers.every((id) => value.exclude_annotators.includes(id));
  const text = (key: "min_agreement" | "min_judgments" | "created_after" | "created_before") => (event: Event) =>
    set(key, (event.currentTarget as HTMLInputElement).value);

  return (
    <fieldset class="filters">
      <legend>Filters</legend>
      <div class="form-grid">
        <label class="field">
          <span>Least agreement, %</span>
          <input type="number" min={0} max={100} step={5} placeholder="any" value={value.min_agreement} onInput={text("min_agreement")} />
          {errors.min_agreement && <em class="field-error">{errors.min_agreement}</em>}
        </label>
        <label class="field">
          <span>Fewest judgments</span>
          <input type="number" min={1} step={1} placeholder="any" value={value.min_judgments} onInput={text("min_judgments")} />
          {errors.min_judgments && <em class="field-error">{errors.min_judgments}</em>}
        </label>
        <label class="field">
          <span>Judged from</span>
          <input type="datetime-local" value={value.created_after} onInput={text("created_after")} />
          {errors.created_after && <em class="field-error">{errors.created_after}</em>}
        </label>
        <label class="field">
          <span>Judged before</span>
          <input type="datetime-local" value={value.created_before} onInput={text("created_before")} />
          {errors.created_before && <em class="field-error">{errors.created_before}</em>}
        </label>
      </div>
      <div class="check-row">
        <label class="check">
          <input type="checkbox" checked={value.exclude_ties} onChange={(e) => set("exclude_ties", (e.currentTarget as HTMLInputElement).checked)} />
          Drop ties
        </label>
        <label class="check">
          <input type="checkbox" checked={value.exclude_gold} onChange={(e) => set("exclude_gold", (e.currentTarget as HTMLInputElement).checked)} />
          Drop gold comparisons
        </label>
        <label class={`check${outliers.length ? "" : " is-disabled"}`} title={outliers.length ? "" : "No annotator is flagged as an outlier"}>
          <input
            type="checkbox"
            disabled={!outliers.length}
            checked={allOutliersOut}
            onChange={(e) => {
              const on = (e.currentTarget as HTMLInputElement).checked;
              const rest = value.exclude_annotators.filter((id) => !outliers.includes(id));
              set("exclude_annotators", on ? [...rest, ...outliers] : rest);
            }}
          />
          Leave out outlier annotators{outliers.length ? ` (${outliers.length})` : ""}
        </label>
      </div>
      {annotators.length > 0 && (
        <details class="pick-list">
          <summary>Annotators ({value.exclude_annotators.length} left out)</summary>
          <div class="chips">
            {annotators.map((a) => (
              <label key={a.annotator} class={`chip chip-check${a.outlier ? " reason-unsafe" : ""}`}>
                <input
                  type="checkbox"
                  checked={value.exclude_annotators.includes(a.annotator)}
                  onChange={(e) => set("exclude_annotators", toggle(value.exclude_annotators, a.annotator, (e.currentTarget as HTMLInputElement).checked))}
                />
                leave out {a.username}
              </label>
            ))}
          </div>
        </details>
      )}
      {models.length > 0 && (
        <details class="pick-list">
          <summary>Models ({value.models.length ? `only ${value.models.length}` : "all"})</summary>
          <div class="chips">
            {models.map((model) => (
              <label key={model} class="chip chip-check">
                <input
                  type="checkbox"
                  checked={value.models.includes(model)}
                  onChange={(e) => set("models", toggle(value.models, model, (e.currentTarget as HTMLInputElement).checked))}
                />
                {model}
              </label>
            ))}
          </div>
          <p class="field-hint muted">Keeps comparisons whose responses all come from the ticked models; none ticked keeps all.</p>
        </details>
      )}
    </fieldset>
  );
}

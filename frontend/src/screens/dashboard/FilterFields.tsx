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

type Set = <K extends keyof FilterForm>(key: K, v: FilterForm[K]) => void;
type TextKey = "min_agreement" | "min_judgments" | "created_after" | "created_before";

const toggle = <T,>(list: T[], entry: T, on: boolean) => (on ? [...list, entry] : list.filter((x) => x !== entry));
const checked = (event: Event) => (event.currentTarget as HTMLInputElement).checked;

/** The export filters, shared by the download form and the snapshot form. */
export function FilterFields({ value, onChange, errors, models, annotators }: Props) {
  const set: Set = (key, v) => onChange({ ...value, [key]: v });
  return (
    <fieldset class="filters">
      <legend>Filters</legend>
      <ThresholdFields value={value} set={set} errors={errors} />
      <FilterChecks value={value} set={set} annotators={annotators} />
      {annotators.length > 0 && <AnnotatorChoice value={value} set={set} annotators={annotators} />}
      {models.length > 0 && <ModelChoice value={value} set={set} models={models} />}
    </fieldset>
  );
}

function ThresholdFields({ value, set, errors }: { value: FilterForm; set: Set; errors: Record<string, string> }) {
  const field = (key: TextKey, label: string, input: Record<string, unknown>) => (
    <label class="field">
      <span>{label}</span>
      <input {...input} value={value[key]} onInput={(event) => set(key, (event.currentTarget as HTMLInputElement).value)} />
      {errors[key] && <em class="field-error">{errors[key]}</em>}
    </label>
  );
  return (
    <div class="form-grid">
      {field("min_agreement", "Least agreement, %", { type: "number", min: 0, max: 100, step: 5, placeholder: "any" })}
      {field("min_judgments", "Fewest judgments", { type: "number", min: 1, step: 1, placeholder: "any" })}
      {field("created_after", "Judged from", { type: "datetime-local" })}
      {field("created_before", "Judged before", { type: "datetime-local" })}
    </div>
  );
}

/** Why the gold box matters: a file keeps what the stats left out unless it is ticked. */
const GOLD_NOTE = "Gold comparisons (quality checks with a known answer, often hand-made) are in the file unless "
  + "this is ticked, while the statistics (agreement, ratings) leave them out.";

function FilterChecks({ value, set, annotators }: { value: FilterForm; set: Set; annotators: AnnotatorQuality[] }) {
  const outliers = annotators.filter((a) => a.outlier).map((a) => a.annotator);
  const allOutliersOut = outliers.length > 0 && outliers.every((id) => value.exclude_annotators.includes(id));
  const leaveOutOutliers = (on: boolean) => {
    const rest = value.exclude_annotators.filter((id) => !outliers.includes(id));
    set("exclude_annotators", on ? [...rest, ...outliers] : rest);
  };
  return (
    <div class="check-row">
      <label class="check" title="Pairwise tie judgments, and the pairs a ranking ranks equal (its other pairs still count)">
        <input type="checkbox" checked={value.exclude_ties} onChange={(e) => set("exclude_ties", checked(e))} />
        Drop ties
      </label>
      <label class="check" title={GOLD_NOTE}>
        <input type="checkbox" checked={value.exclude_gold} onChange={(e) => set("exclude_gold", checked(e))} />
        Drop gold comparisons <span class="muted" data-testid="gold-note">(kept unless ticked; the stats leave gold out)</span>
      </label>
      <label class="check" title="Comparisons an annotator flagged as unsafe, broken or bad, resolved or not">
        <input type="checkbox" checked={value.exclude_flagged} onChange={(e) => set("exclude_flagged", checked(e))} data-testid="filter-exclude-flagged" />
        Drop flagged comparisons
      </label>
      <label class={`check${outliers.length ? "" : " is-disabled"}`} title={outliers.length ? "" : "No annotator is flagged as an outlier"}>
        <input type="checkbox" disabled={!outliers.length} checked={allOutliersOut} onChange={(e) => leaveOutOutliers(checked(e))} />
        Leave out outlier annotators{outliers.length ? ` (${outliers.length})` : ""}
      </label>
    </div>
  );
}

function AnnotatorChoice({ value, set, annotators }: { value: FilterForm; set: Set; annotators: AnnotatorQuality[] }) {
  return (
    <details class="choice-list">
      <summary>Annotators ({value.exclude_annotators.length} left out)</summary>
      <div class="chips">
        {annotators.map((a) => (
          <label key={a.annotator} class={`chip chip-check${a.outlier ? " reason-unsafe" : ""}`}>
            <input
              type="checkbox"
              checked={value.exclude_annotators.includes(a.annotator)}
              onChange={(e) => set("exclude_annotators", toggle(value.exclude_annotators, a.annotator, checked(e)))}
            />
            leave out {a.username}
          </label>
        ))}
      </div>
    </details>
  );
}

function ModelChoice({ value, set, models }: { value: FilterForm; set: Set; models: string[] }) {
  return (
    <details class="choice-list">
      <summary>Models ({value.models.length ? `only ${value.models.length}` : "all"})</summary>
      <div class="chips">
        {models.map((model) => (
          <label key={model} class="chip chip-check">
            <input type="checkbox" checked={value.models.includes(model)} onChange={(e) => set("models", toggle(value.models, model, checked(e)))} />
            {model}
          </label>
        ))}
      </div>
      <p class="field-hint muted">Keeps comparisons whose responses all come from the ticked models; none ticked keeps all.</p>
    </details>
  );
}

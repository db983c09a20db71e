import { useId, useState } from "preact/hooks";
import { Markdown } from "../../components/Markdown";
import { LETTERS, MAX_LEASE_MINUTES, MAX_OVERLAP } from "../../generated/constants";
import { type ProjectFormValues, withComparisonKind } from "../../logic/projectForm";
import type { ComparisonKind } from "../../types";

interface Props {
  values: ProjectFormValues;
  onChange: (next: ProjectFormValues) => void;
  errors: Record<string, string>;
  /** Slug, comparison kind and K are set once, at creation. */
  creating: boolean;
}

/** The field helpers every part of the form shares. */
interface Inputs {
  values: ProjectFormValues;
  set: <K extends keyof ProjectFormValues>(key: K, value: ProjectFormValues[K]) => void;
  text: (key: keyof ProjectFormValues) => (event: Event) => void;
  error: (key: string) => preact.JSX.Element | null;
}

/** The project's settings as inputs, for the new-project screen and the settings panel. */
export function ProjectFields({ values, onChange, errors, creating }: Props) {
  const set: Inputs["set"] = (key, value) => onChange({ ...values, [key]: value });
  const inputs: Inputs = {
    values,
    set,
    text: (key) => (event) => set(key, (event.currentTarget as HTMLInputElement | HTMLTextAreaElement).value as never),
    error: (key) => (errors[key] ? <em class="field-error">{errors[key]}</em> : null),
  };
  const check = (key: "allow_ties" | "collect_demonstrations" | "judge_priority") => (event: Event) => set(key, (event.currentTarget as HTMLInputElement).checked);
  return (
    <div class="project-fields">
      <NumberFields inputs={inputs} creating={creating} onChange={onChange} />
      <ListFields inputs={inputs} />
      <div class="check-row">
        <label class="check">
          <input type="checkbox" checked={values.allow_ties} onChange={check("allow_ties")} /> Allow ties
        </label>
        <label class="check">
          <input type="checkbox" checked={values.collect_demonstrations} onChange={check("collect_demonstrations")} /> Collect ideal responses (SFT data)
        </label>
        <label class="check" title="Serve people first the comparisons judges are least sure of or disagree on">
          <input type="checkbox" checked={values.judge_priority} onChange={check("judge_priority")} data-testid="judge-priority" /> Judges' doubts first
        </label>
      </div>
      <GuidelinesField inputs={inputs} />
    </div>
  );
}

/** Name, the fields set once at creation, overlap, gold share and lease. */
function NumberFields({ inputs, creating, onChange }: { inputs: Inputs; creating: boolean; onChange: Props["onChange"] }) {
  const { values, text, error } = inputs;
  return (
    <div class="form-grid">
      <label class="field field-wide">
        <span>Name</span>
        <input value={values.name} onInput={text("name")} data-testid="project-name" />
        {error("name")}
      </label>
      {creating && <CreationFields inputs={inputs} onChange={onChange} />}
      <label class="field">
        <span>Judgments per comparison</span>
        <input type="number" min={1} max={MAX_OVERLAP} value={values.overlap} onInput={text("overlap")} data-testid="project-overlap" />
        {error("overlap")}
      </label>
      <label class="field">
        <span>Gold share, %</span>
        <input type="number" min={0} max={100} step={1} value={values.gold_percent} onInput={text("gold_percent")} />
        {error("gold_percent")}
      </label>
      <label class="field">
        <span>Lease, minutes</span>
        <input type="number" min={1} max={MAX_LEASE_MINUTES} value={values.lease_minutes} onInput={text("lease_minutes")} />
        {error("lease_minutes")}
      </label>
    </div>
  );
}

/** Slug, comparison kind and K: set once, at creation. */
function CreationFields({ inputs, onChange }: { inputs: Inputs; onChange: Props["onChange"] }) {
  const { values, text, error } = inputs;
  return (
    <>
      <label class="field">
        <span>Slug</span>
        <input value={values.slug} onInput={text("slug")} data-testid="project-slug" />
        {error("slug")}
      </label>
      <label class="field">
        <span>Comparison kind</span>
        <select
          value={values.task_type}
          onChange={(e) => onChange(withComparisonKind(values, (e.currentTarget as HTMLSelectElement).value as ComparisonKind))}
        >
          <option value="pairwise">Pairwise (A or B)</option>
          <option value="ranking">Rank K responses</option>
        </select>
      </label>
      {values.task_type === "ranking" && (
        <label class="field">
          <span>Responses per comparison</span>
          <input
            type="number"
            min={3}
            max={LETTERS.length}
            value={values.responses_per_comparison}
            onInput={text("responses_per_comparison")}
          />
          {error("responses_per_comparison")}
        </label>
      )}
    </>
  );
}

function ListFields({ inputs }: { inputs: Inputs }) {
  const { values, text, error } = inputs;
  return (
    <div class="form-grid two">
      <label class="field">
        <span>Criteria <em class="muted">one per line; blank for none</em></span>
        <textarea rows={3} value={values.criteria} onInput={text("criteria")} placeholder={"helpful\nharmless"} data-testid="project-criteria" />
        {error("criteria")}
      </label>
      {/* "How much better" belongs to a pairwise verdict; a ranking has no scale. */}
      {values.task_type === "pairwise" && (
        <label class="field">
          <span>Strength scale <em class="muted">weakest first; blank for none</em></span>
          <textarea rows={3} value={values.strength_scale} onInput={text("strength_scale")} />
          {error("strength_scale")}
        </label>
      )}
    </div>
  );
}

function GuidelinesField({ inputs }: { inputs: Inputs }) {
  const [preview, setPreview] = useState(false);
  const id = useId();
  const { values, text, error } = inputs;
  return (
    <div class="field">
      {/* Not a <label> around the box: the Preview button shares the line, and a label's name would take its text. */}
      <span class="field-label-row">
        <span id={`${id}-label`}>Guidelines</span> <em class="muted" id={`${id}-hint`}>Markdown, shown to annotators</em>
        <button type="button" class="btn btn-ghost btn-sm" aria-pressed={preview} onClick={() => setPreview(!preview)}>
          {preview ? "Edit" : "Preview"}
        </button>
      </span>
      {preview ? (
        <div class="guidelines-preview">
          <Markdown text={values.guidelines || "_No guidelines yet._"} trust="guidelines" />
        </div>
      ) : (
        <textarea
          rows={8}
          value={values.guidelines}
          onInput={text("guidelines")}
          aria-labelledby={`${id}-label`}
          aria-describedby={`${id}-hint`}
          data-testid="project-guidelines"
        />
      )}
      {error("guidelines")}
    </div>
  );
}

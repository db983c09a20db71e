import { useEffect, useRef, useState } from "preact/hooks";
import { countExportRows, exportUrl } from "../../api";
import {
  countQuery,
  criteriaChoices,
  DEFAULT_EXPORT,
  type ExportForm,
  exportFileName,
  exportQuery,
  fileTypesFor,
  parseFilters,
} from "../../logic/exportQuery";
import { count } from "../../logic/format";
import type { Aggregation, AnnotatorQuality, ExportFormat, ExportLabels, FileType, PairsMode, Project } from "../../types";
import { FilterFields } from "./FilterFields";
import { errorText } from "./usePolled";

export const FORMAT_OPTIONS: { value: ExportFormat; label: string; hint: string }[] = [
  { value: "trl", label: "TRL preference", hint: "prompt, chosen, rejected: for reward models, DPO and TRL's trainers" },
  { value: "hh-rlhf", label: "HH-RLHF", hint: "chosen and rejected as Human/Assistant transcripts" },
  { value: "kto", label: "KTO", hint: "prompt, completion, label (true for chosen, false for rejected): for KTO" },
  { value: "sft", label: "SFT messages", hint: "message lists from demonstrations (optionally winners)" },
  { value: "raw", label: "Raw judgments", hint: "one row per judgment with annotator, strength, criteria and rationale" },
];
export const AGGREGATIONS: { value: Aggregation; label: string }[] = [
  { value: "majority", label: "Majority verdict per pair" },
  { value: "mean-strength", label: "Mean strength per pair" },
  { value: "dawid-skene", label: "Dawid–Skene: annotators weighted by reliability" },
  { value: "none", label: "None: every judgment" },
];
export const LABEL_OPTIONS: { value: ExportLabels; label: string }[] = [
  { value: "human", label: "People's judgments" },
  { value: "model", label: "Judges' judgments (models)" },
  { value: "all", label: "Both, each row marked human, model or mixed" },
];

interface Props {
  project: Project;
  models: string[];
  annotators: AnnotatorQuality[];
}

type SetField = <K extends keyof ExportForm>(key: K, value: ExportForm[K]) => void;

/** Choose format, file type, aggregation and filters; count the rows it writes; the link streams the file from the server. */
export function ExportPanel({ project, models, annotators }: Props) {
  const [form, setForm] = useState<ExportForm>(DEFAULT_EXPORT);
  const { errors } = parseFilters(form.filters);
  const set: SetField = (key, value) => {
    const next = { ...form, [key]: value };
    if (!fileTypesFor(next.format).includes(next.file)) next.file = "jsonl";
    setForm(next);
  };
  return (
    <section class="card" data-testid="export-panel">
      <header class="card-head">
        <h2>Export</h2>
        <span class="card-note">Streamed straight from the database, so large projects download as fast as they are read</span>
      </header>
      <ExportChoices project={project} form={form} set={set} />
      <p class="field-hint muted">{FORMAT_OPTIONS.find((o) => o.value === form.format)?.hint}</p>
      <ExportChecks form={form} set={set} />
      <CriteriaChecks project={project} form={form} set={set} />
      <FilterFields value={form.filters} onChange={(filters) => set("filters", filters)} errors={errors} models={models} annotators={annotators} />
      <ExportActions project={project} form={form} valid={Object.keys(errors).length === 0} />
    </section>
  );
}

const select = <T,>(apply: (value: T) => void) => (event: Event) => apply((event.currentTarget as HTMLSelectElement).value as T);
const FILE_LABELS: Record<FileType, string> = { jsonl: "JSON Lines", csv: "CSV", parquet: "Parquet" };

function ExportChoices({ project, form, set }: { project: Project; form: ExportForm; set: SetField }) {
  return (
    <div class="form-grid">
      <label class="field">
        <span>Format</span>
        <select value={form.format} data-testid="export-format" onChange={select<ExportFormat>((v) => set("format", v))}>
          {FORMAT_OPTIONS.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
        </select>
      </label>
      <label class="field">
        <span>File</span>
        <select value={form.file} data-testid="export-file" onChange={select<FileType>((v) => set("file", v))}>
          {fileTypesFor(form.format).map((type) => <option key={type} value={type}>{FILE_LABELS[type]}</option>)}
        </select>
      </label>
      <label class="field">
        <span>Aggregation</span>
        <select value={form.aggregation} disabled={form.format === "raw"} onChange={select<Aggregation>((v) => set("aggregation", v))}>
          {AGGREGATIONS.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
        </select>
      </label>
      <label class="field" title="Other than people's, every row has a label_source column: human, model or mixed">
        <span>Labels</span>
        <select value={form.labels} data-testid="export-labels" onChange={select<ExportLabels>((v) => set("labels", v))}>
          {LABEL_OPTIONS.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
        </select>
      </label>
      {project.task_type === "ranking" && (
        <label class="field">
          <span>Ranking pairs</span>
          <select value={form.pairs} onChange={select<PairsMode>((v) => set("pairs", v))}>
            <option value="all">All implied pairs</option>
            <option value="best-vs-rest">Best against each other</option>
          </select>
        </label>
      )}
    </div>
  );
}

function ExportChecks({ form, set }: { form: ExportForm; set: SetField }) {
  const checked = (key: "conversational" | "include_winners") => (event: Event) => set(key, (event.currentTarget as HTMLInputElement).checked);
  return (
    <div class="check-row">
      {(form.format === "trl" || form.format === "kto") && (
        <label class="check">
          <input type="checkbox" checked={form.conversational} onChange={checked("conversational")} />
          Conversational (message lists)
        </label>
      )}
      {form.format === "sft" && (
        <label class="check">
          <input type="checkbox" checked={form.include_winners} onChange={checked("include_winners")} />
          Add winning responses to the demonstrations
        </label>
      )}
    </div>
  );
}

function CriteriaChecks({ project, form, set }: { project: Project; form: ExportForm; set: SetField }) {
  const criteria = form.format === "trl" ? criteriaChoices(project.criteria) : [];
  if (criteria.length === 0) return null;
  const toggle = (name: string, on: boolean) => set("criteria", criteria.filter((c) => (c === name ? on : form.criteria.includes(c))));
  return (
    <fieldset class="check-row" data-testid="export-criteria">
      <legend class="field-hint">Rows per criterion (for a reward model that judges each; none = the main verdict only)</legend>
      {criteria.map((name) => (
        <label class="check" key={name}>
          <input type="checkbox" checked={form.criteria.includes(name)} data-testid={`export-criterion-${name}`}
            onChange={(e) => toggle(name, (e.currentTarget as HTMLInputElement).checked)} />
          {name}
        </label>
      ))}
    </fieldset>
  );
}

function ExportActions({ project, form, valid }: { project: Project; form: ExportForm; valid: boolean }) {
  const href = exportUrl(project.id, exportQuery(form));
  const name = exportFileName(project.slug, form);
  return (
    <div class="form-actions">
      {valid ? (
        <a class="btn btn-primary" href={href} download={name} data-testid="export-download">
          Download {name}
        </a>
      ) : (
        <button class="btn btn-primary" disabled>Fix the filters to download</button>
      )}
      {valid && <RowCount project={project} form={form} />}
      <code class="url-preview" title="The same export from scripts, with an API token">{href}</code>
    </div>
  );
}

type Count = { state: "idle" } | { state: "counting" } | { state: "done"; rows: number } | { state: "failed"; message: string };

/** Counts the rows the chosen export writes, on request (the server counts them without writing the file); a change of options forgets the count. */
function RowCount({ project, form }: { project: Project; form: ExportForm }) {
  const query = countQuery(form);
  const [held, setHeld] = useState<{ query: string; result: Count }>({ query, result: { state: "idle" } });
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);
  const result: Count = held.query === query ? held.result : { state: "idle" };
  const start = async () => {
    abort.current?.abort();
    const controller = (abort.current = new AbortController());
    setHeld({ query, result: { state: "counting" } });
    try {
      const rows = await countExportRows(project.id, query, controller.signal);
      setHeld({ query, result: { state: "done", rows } });
    } catch (error) {
      if (!controller.signal.aborted) setHeld({ query, result: { state: "failed", message: errorText(error) } });
    }
  };
  if (result.state === "done") {
    return <span class="export-rows" role="status" data-testid="export-rows">{rowsText(result.rows)}</span>;
  }
  return (
    <>
      <button class="btn" type="button" onClick={start} disabled={result.state === "counting"} data-testid="export-count"
        title="The server counts the rows this export writes, without writing or sending the file">
        {result.state === "counting" ? "Counting rows…" : "Count rows"}
      </button>
      {result.state === "failed" && <span class="field-error" role="alert">{result.message}</span>}
    </>
  );
}

function rowsText(rows: number): string {
  return rows === 1 ? "writes 1 row" : `writes ${count(rows)} rows`;
}

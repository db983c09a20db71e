import { useState } from "preact/hooks";
import { exportUrl } from "../../api";
import { criteriaChoices, DEFAULT_EXPORT, type ExportForm, exportFileName, exportQuery, fileTypesFor, parseFilters } from "../../logic/exportQuery";
import type { Aggregation, AnnotatorQuality, ExportFormat, FileType, PairsMode, Project } from "../../types";
import { FilterFields } from "./FilterFields";

export const FORMAT_OPTIONS: { value: ExportFormat; label: string; hint: string }[] = [
  { value: "trl", label: "TRL preference", hint: "prompt, chosen, rejected: for reward models, DPO and TRL's trainers" },
  { value: "hh-rlhf", label: "HH-RLHF", hint: "chosen and rejected as Human/Assistant transcripts" },
  { value: "kto", label: "KTO", hint: "prompt, completion, label (true for chosen, false for rejected): for KTO" },
  { value: "sft", label: "SFT messages", hint: "message lists from demonstrations (optionally winners)" },
  { value: "raw", label: "Raw judgments", hint: "one row per judgment with annotator, strength, criteria and rationale" },
];
export const AGGREGATIONS: { value: Aggregation; label: string }[] = [
  { value: "majority", label: "Majority vote per pair" },
  { value: "mean-strength", label: "Mean strength per pair" },
  { value: "dawid-skene", label: "Dawid–Skene: annotators weighted by reliability" },
  { value: "none", label: "None: every judgment" },
];

interface Props {
  project: Project;
  models: string[];
  annotators: AnnotatorQuality[];
}

/** Choose format, file type, aggregation and filters; the link streams the file from the server. */
export function ExportPanel({ project, models, annotators }: Props) {
  const [form, setForm] = useState<ExportForm>(DEFAULT_EXPORT);
  const { errors } = parseFilters(form.filters);
  const valid = Object.keys(errors).length === 0;
  const set = <K extends keyof ExportForm>(key: K, value: ExportForm[K]) => {
    const next = { ...form, [key]: value };
    if (!fileTypesFor(next.format).includes(next.file)) next.file = "jsonl";
    setForm(next);
  };
  const href = exportUrl(project.id, exportQuery(form));
  const criteria = form.format === "trl" ? criteriaChoices(project.criteria) : [];
  const toggleCriterion = (name: string, on: boolean) =>
    set("criteria", criteria.filter((c) => (c === name ? on : form.criteria.includes(c))));

  return (
    <section class="card" data-testid="export-panel">
      <header class="card-head">
        <h2>Export</h2>
        <span class="card-note">Streamed straight from the database, so large projects download as fast as they are read</span>
      </header>
      <div class="form-grid">
        <label class="field">
          <span>Format</span>
          <select value={form.format} data-testid="export-format" onChange={(e) => set("format", (e.currentTarget as HTMLSelectElement).value as ExportFormat)}>
            {FORMAT_OPTIONS.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
          </select>
        </label>
        <label class="field">
          <span>File</span>
          <select value={form.file} data-testid="export-file" onChange={(e) => set("file", (e.currentTarget as HTMLSelectElement).value as FileType)}>
            {fileTypesFor(form.format).map((type) => <option key={type} value={type}>{type === "jsonl" ? "JSON Lines" : type === "csv" ? "CSV" : "Parquet"}</option>)}
          </select>
        </label>
        <label class="field">
          <span>Aggregation</span>
          <select value={form.aggregation} disabled={form.format === "raw"} onChange={(e) => set("aggregation", (e.currentTarget as HTMLSelectElement).value as Aggregation)}>
            {AGGREGATIONS.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
          </select>
        </label>
        {project.task_type === "ranking" && (
          <label class="field">
            <span>Ranking pairs</span>
            <select value={form.pairs} onChange={(e) => set("pairs", (e.currentTarget as HTMLSelectElement).value as PairsMode)}>
              <option value="all">All implied pairs</option>
              <option value="best-vs-rest">Best against each other</option>
            </select>
          </label>
        )}
      </div>
      <p class="field-hint muted">{FORMAT_OPTIONS.find((o) => o.value === form.format)?.hint}</p>
      <div class="check-row">
        {(form.format === "trl" || form.format === "kto") && (
          <label class="check">
            <input type="checkbox" checked={form.conversational} onChange={(e) => set("conversational", (e.currentTarget as HTMLInputElement).checked)} />
            Conversational (message lists)
          </label>
        )}
        {form.format === "sft" && (
          <label class="check">
            <input type="checkbox" checked={form.include_winners} onChange={(e) => set("include_winners", (e.currentTarget as HTMLInputElement).checked)} />
            Add winning responses to the demonstrations
          </label>
        )}
      </div>
      {criteria.length > 0 && (
        <fieldset class="check-row" data-testid="export-criteria">
          <legend class="field-hint">Rows per criterion (for a reward model that judges each; none = the main verdict only)</legend>
          {criteria.map((name) => (
            <label class="check" key={name}>
              <input type="checkbox" checked={form.criteria.includes(name)} data-testid={`export-criterion-${name}`}
                onChange={(e) => toggleCriterion(name, (e.currentTarget as HTMLInputElement).checked)} />
              {name}
            </label>
          ))}
        </fieldset>
      )}
      <FilterFields value={form.filters} onChange={(filters) => set("filters", filters)} errors={errors} models={models} annotators={annotators} />
      <div class="form-actions">
        {valid ? (
          <a class="btn btn-primary" href={href} download={exportFileName(project.slug, form)} data-testid="export-download">
            Download {exportFileName(project.slug, form)}
          </a>
        ) : (
          <button class="btn btn-primary" disabled>Fix the filters to download</button>
        )}
        <code class="url-preview" title="The same export from scripts, with an API token">{href}</code>
      </div>
    </section>
  );
}

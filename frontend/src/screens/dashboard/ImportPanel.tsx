import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { ApiError, listImports, uploadImport } from "../../api";
import { ago, bytes, count } from "../../logic/format";
import {
  type ErrorPlace,
  errorLine,
  errorPlace,
  guessFormat,
  type ImportFormat,
  linesAround,
  type NumberedLine,
  placeText,
} from "../../logic/importErrors";
import type { DataImport, Project } from "../../types";
import { errorText, usePolled } from "./usePolled";

const FORMATS: { value: ImportFormat; label: string; hint: string; labelled: boolean }[] = [
  { value: "candidates", label: "Candidates", hint: '{"prompt", "responses": [{"text", "model"}]}', labelled: false },
  { value: "hh-rlhf", label: "HH-RLHF", hint: '{"chosen", "rejected"} transcripts', labelled: true },
  { value: "trl", label: "TRL preference", hint: '{"prompt", "chosen", "rejected"}', labelled: true },
];
// Reading the file back for the error's context is only worth it for files that fit in memory easily.
const CONTEXT_LIMIT = 20 * 1024 * 1024;

type Outcome =
  | { kind: "idle" }
  | { kind: "sending" }
  | { kind: "done"; result: DataImport }
  | { kind: "failed"; message: string; line: number | null; place: ErrorPlace; context: NumberedLine[] };

// Enough of a file to read its first line for the format it looks like.
const HEAD_BYTES = 64 * 1024;

/** The chosen file and what it looks like, the upload and its outcome. */
function useImport(project: Project, reload: () => void) {
  const [file, setFile] = useState<File | null>(null);
  const [looksLike, setLooksLike] = useState<ImportFormat | null>(null);
  const [outcome, setOutcome] = useState<Outcome>({ kind: "idle" });
  const choose = async (chosen: File | null) => {
    setFile(chosen);
    setOutcome({ kind: "idle" });
    setLooksLike(chosen ? guessFormat(await chosen.slice(0, HEAD_BYTES).text()) : null);
  };
  const upload = async (format: string, withLabels: boolean) => {
    if (!file) return;
    setOutcome({ kind: "sending" });
    try {
      setOutcome({ kind: "done", result: await uploadImport(project.id, file, format, withLabels) });
      reload();
    } catch (error) {
      setOutcome(await failure(error, file));
    }
  };
  return { file, looksLike, outcome, choose, upload };
}

/** A failed upload: the server's message, and the line and column or field it names, shown in the file. */
async function failure(error: unknown, file: File): Promise<Outcome> {
  const body = error instanceof ApiError ? error.body : null;
  const line = body ? errorLine(body) : null;
  const place = errorPlace(body?.detail);
  const context = line !== null && file.size <= CONTEXT_LIMIT ? linesAround(await file.text(), line, 2, place.column) : [];
  return { kind: "failed", message: errorText(error), line, place, context };
}

/** Upload a JSONL file; a bad line shows with its number, column or field, and its neighbours from the file. */
export function ImportPanel({ project }: { project: Project }) {
  const [format, setFormat] = useState<ImportFormat>("candidates");
  const [withLabels, setWithLabels] = useState(false);
  const [history, reload] = usePolled(() => listImports(project.id), null, [project.id]);
  const { file, looksLike, outcome, choose, upload } = useImport(project, reload);
  const labelled = FORMATS.find((f) => f.value === format)?.labelled ?? false;
  const submit = (event: Event) => {
    event.preventDefault();
    upload(format, labelled && withLabels);
  };

  return (
    <section class="card" data-testid="import-panel">
      <header class="card-head">
        <h2>Import</h2>
        <span class="card-note">JSON Lines, one prompt per line; a bad line stops the whole import, so nothing half-loads</span>
      </header>
      <ImportForm format={format} setFormat={setFormat} labelled={labelled} withLabels={withLabels} setWithLabels={setWithLabels}
        canSend={file !== null && outcome.kind !== "sending"} sending={outcome.kind === "sending"} choose={choose} submit={submit} />
      <p class="field-hint muted">{FORMATS.find((f) => f.value === format)?.hint}{file ? ` · ${file.name}, ${bytes(file.size)}` : ""}</p>
      {looksLike && looksLike !== format && <FormatMismatch looksLike={looksLike} onSwitch={() => setFormat(looksLike)} />}
      {outcome.kind === "done" && <ImportDone result={outcome.result} />}
      {outcome.kind === "failed" && <ImportFailure outcome={outcome} />}
      {history.state === "ready" && history.data.length > 0 && <ImportHistory imports={history.data} />}
    </section>
  );
}

interface FormProps {
  format: ImportFormat;
  setFormat: (format: ImportFormat) => void;
  labelled: boolean;
  withLabels: boolean;
  setWithLabels: (on: boolean) => void;
  canSend: boolean;
  sending: boolean;
  choose: (file: File | null) => void;
  submit: (event: Event) => void;
}

function ImportForm({ format, setFormat, labelled, withLabels, setWithLabels, canSend, sending, choose, submit }: FormProps) {
  return (
    <form class="form-row" onSubmit={submit}>
      <label class="field">
        <span>File</span>
        <input type="file" accept=".jsonl,.json,.txt,application/json" data-testid="import-file"
          onChange={(event) => choose((event.currentTarget as HTMLInputElement).files?.[0] ?? null)} />
      </label>
      <label class="field">
        <span>Format</span>
        <select value={format} onChange={(event) => setFormat((event.currentTarget as HTMLSelectElement).value as ImportFormat)} data-testid="import-format">
          {FORMATS.map((f) => (
            <option key={f.value} value={f.value}>{f.label}</option>
          ))}
        </select>
      </label>
      <label class={`check${labelled ? "" : " is-disabled"}`}>
        <input type="checkbox" checked={labelled && withLabels} disabled={!labelled} onChange={(event) => setWithLabels((event.currentTarget as HTMLInputElement).checked)} />
        Import the labels as judgments
      </label>
      <button class="btn btn-primary" type="submit" disabled={!canSend} data-testid="import-submit">
        {sending ? "Uploading…" : "Upload"}
      </button>
    </form>
  );
}

function FormatMismatch({ looksLike, onSwitch }: { looksLike: ImportFormat; onSwitch: () => void }) {
  const label = FORMATS.find((f) => f.value === looksLike)?.label ?? looksLike;
  return (
    <div class="warn-box" role="status" data-testid="import-format-hint">
      This file looks like <strong>{label}</strong> ({FORMATS.find((f) => f.value === looksLike)?.hint}).{" "}
      <button type="button" class="btn btn-sm" onClick={onSwitch} data-testid="import-format-switch">Import as {label}</button>
    </div>
  );
}

function ImportDone({ result }: { result: DataImport }) {
  return (
    <div class="ok-box" role="status" data-testid="import-result">
      Imported {count(result.counts.comparisons ?? 0)} comparisons from {count(result.counts.lines ?? 0)} lines
      {result.counts.judgments ? `, with ${count(result.counts.judgments)} judgments` : ""}.
      {result.skipped.length > 0 && ` ${result.skipped.length} lines skipped (see below).`}
    </div>
  );
}

function ImportFailure({ outcome }: { outcome: Extract<Outcome, { kind: "failed" }> }) {
  const { line, place, message, context } = outcome;
  return (
    <div class="error-box import-error" role="alert" data-testid="import-error">
      <div>
        <strong data-testid="import-error-place">{line !== null ? placeText(line, place) : "Not imported"}:</strong>{" "}
        {line !== null ? message.replace(/^line \d+:\s*/, "") : message}
      </div>
      {context.length > 0 && (
        <pre class="line-context">
          {context.map((numbered) => (
            <Fragment key={numbered.number}>
              <div class={numbered.isError ? "is-error" : ""}>
                <span class="line-no">{numbered.number}</span>
                {numbered.text}
              </div>
              {numbered.caret !== undefined && (
                <div class="caret-row" aria-hidden="true" data-testid="import-error-caret">
                  <span class="line-no" />
                  {" ".repeat(numbered.caret)}^
                </div>
              )}
            </Fragment>
          ))}
        </pre>
      )}
      <div class="muted small">Nothing from this file was stored. Fix the line and upload again.</div>
    </div>
  );
}

function ImportHistory({ imports }: { imports: DataImport[] }) {
  return (
    <table class="data-table compact">
      <thead>
        <tr>
          <th>File</th>
          <th>Format</th>
          <th class="num">Lines</th>
          <th class="num">Comparisons</th>
          <th class="num">Judgments</th>
          <th>Skipped</th>
          <th>When</th>
        </tr>
      </thead>
      <tbody>
        {imports.slice(0, 10).map((item) => (
          <tr key={item.id}>
            <td class="mono" title={item.file_sha256}>{item.file_name}</td>
            <td>{item.format}{item.with_labels ? " + labels" : ""}</td>
            <td class="num">{count(item.counts.lines ?? 0)}</td>
            <td class="num">{count(item.counts.comparisons ?? 0)}</td>
            <td class="num">{count(item.counts.judgments ?? 0)}</td>
            <td><SkippedLines skipped={item.skipped} /></td>
            <td>{ago(item.created_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SkippedLines({ skipped }: { skipped: DataImport["skipped"] }) {
  if (skipped.length === 0) return <span class="muted">none</span>;
  return (
    <details>
      <summary>{skipped.length} lines</summary>
      <ul class="skipped-lines">
        {skipped.slice(0, 50).map((skip) => (
          <li key={skip.line}>
            <span class="line-no">{skip.line}</span> {skip.reason}
          </li>
        ))}
      </ul>
    </details>
  );
}

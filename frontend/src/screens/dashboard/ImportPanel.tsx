import { Fragment } from "preact";
import { useEffect, useState } from "preact/hooks";
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
import { importActive, importPhase, importPollEvery } from "../../logic/importProgress";
import type { DataImport, Project } from "../../types";
import { errorText, type Loaded, usePolled } from "./usePolled";

const FORMATS: { value: ImportFormat; label: string; hint: string; labelled: boolean }[] = [
  { value: "candidates", label: "Candidates", hint: '{"prompt", "responses": [{"text", "model"}]}', labelled: false },
  { value: "hh-rlhf", label: "HH-RLHF", hint: '{"chosen", "rejected"} transcripts', labelled: true },
  { value: "trl", label: "TRL preference", hint: '{"prompt", "chosen", "rejected"}', labelled: true },
];
// Reading the file back for the error's context is only worth it for files that fit in memory easily.
const CONTEXT_LIMIT = 20 * 1024 * 1024;

type Failed = { kind: "failed"; message: string; line: number | null; place: ErrorPlace; context: NumberedLine[] };
type Outcome =
  | { kind: "idle" }
  | { kind: "sending" }
  | { kind: "queued"; result: DataImport } // a large file: a worker imports it, the list shows how far
  | { kind: "done"; result: DataImport }
  | Failed;

// Enough of a file to read its first line for the format it looks like.
const HEAD_BYTES = 64 * 1024;

/** The chosen file and what it looks like, the upload and its outcome (a queued one's from `history`). */
function useImport(project: Project, history: Loaded<DataImport[]>, reload: () => void) {
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
      const result = await uploadImport(project.id, file, format, withLabels);
      setOutcome({ kind: result.status === "done" ? "done" : "queued", result });
      reload();
    } catch (error) {
      setOutcome(await failure(error, file));
    }
  };
  useQueuedOutcome(outcome, setOutcome, history, file);
  return { file, looksLike, outcome, choose, upload };
}

/** A queued import's outcome once the polled list shows its worker finished: the result, or the
 * error with its line shown in the file as an inline upload's is. */
function useQueuedOutcome(outcome: Outcome, setOutcome: (o: Outcome) => void, history: Loaded<DataImport[]>, file: File | null) {
  useEffect(() => {
    if (outcome.kind !== "queued" || history.state !== "ready") return;
    const item = history.data.find((row) => row.id === outcome.result.id);
    if (!item || importActive(item)) return;
    if (item.status === "done") setOutcome({ kind: "done", result: item });
    else failedAt(item.error, errorLine({ detail: item.error }), errorPlace(item.error), file).then(setOutcome);
  }, [outcome, history]);
}

/** A failed upload: the server's message, and the line and column or field it names, shown in the file. */
async function failure(error: unknown, file: File): Promise<Outcome> {
  const body = error instanceof ApiError ? error.body : null;
  return failedAt(errorText(error), body ? errorLine(body) : null, errorPlace(body?.detail), file);
}

async function failedAt(message: string, line: number | null, place: ErrorPlace, file: File | null): Promise<Failed> {
  const context = line !== null && file && file.size <= CONTEXT_LIMIT ? linesAround(await file.text(), line, 2, place.column) : [];
  return { kind: "failed", message, line, place, context };
}

/** Upload a JSONL file; a bad line shows with its number, column or field, and its neighbours from the file. */
export function ImportPanel({ project }: { project: Project }) {
  const [format, setFormat] = useState<ImportFormat>("candidates");
  const [withLabels, setWithLabels] = useState(false);
  const [history, reload] = usePolled(() => listImports(project.id), importPollEvery, [project.id]);
  const { file, looksLike, outcome, choose, upload } = useImport(project, history, reload);
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
      {outcome.kind === "queued" && <ImportProgress item={latest(outcome.result, history)} />}
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

/** The polled row of a queued import (the upload's answer until the list has it). */
function latest(item: DataImport, history: Loaded<DataImport[]>): DataImport {
  return (history.state === "ready" && history.data.find((row) => row.id === item.id)) || item;
}

function ImportProgress({ item }: { item: DataImport }) {
  const phase = importPhase(item);
  return (
    <div class="ok-box" role="status" data-testid="import-progress">
      {phase.kind === "running" ? (
        <>
          <progress max={Math.max(phase.total, 1)} value={phase.read} aria-label="Lines imported" />{" "}
          Importing: {count(phase.read)} of {count(phase.total)} lines read ({Math.floor(phase.fraction * 100)}%).
        </>
      ) : (
        <>Queued: {count(item.counts.lines ?? 0)} lines wait for a worker.</>
      )}{" "}
      <span class="muted small">Nothing is stored until the last line is read; you can leave this page.</span>
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
          <th>Status</th>
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
            <td><ImportStatusCell item={item} /></td>
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

function ImportStatusCell({ item }: { item: DataImport }) {
  const phase = importPhase(item);
  if (phase.kind === "running") return <span>{Math.floor(phase.fraction * 100)}% read</span>;
  if (phase.kind === "waiting") return <span class="muted">queued</span>;
  if (phase.kind === "failed") return <span title={phase.error}>failed: {phase.error}</span>;
  return <span class="muted">done</span>;
}

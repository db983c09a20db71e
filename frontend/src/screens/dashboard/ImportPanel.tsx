import { useState } from "preact/hooks";
import { ApiError, listImports, uploadImport } from "../../api";
import { ago, bytes, count } from "../../logic/format";
import { type NumberedLine, errorLine, linesAround } from "../../logic/importErrors";
import type { DataImport, Project } from "../../types";
import { errorText, usePolled } from "./usePolled";

const FORMATS = [
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
  | { kind: "failed"; message: string; line: number | null; context: NumberedLine[] };

/** Upload a JSONL file; a bad line shows with its number and its neighbours from the file. */
export function ImportPanel({ project }: { project: Project }) {
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState("candidates");
  const [withLabels, setWithLabels] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>({ kind: "idle" });
  const [history, reload] = usePolled(() => listImports(project.id), null, [project.id]);
  const labelled = FORMATS.find((f) => f.value === format)?.labelled ?? false;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!file) return;
    setOutcome({ kind: "sending" });
    try {
      const result = await uploadImport(project.id, file, format, labelled && withLabels);
      setOutcome({ kind: "done", result });
      reload();
    } catch (error) {
      const line = error instanceof ApiError ? errorLine(error.body) : null;
      const context = line !== null && file.size <= CONTEXT_LIMIT ? linesAround(await file.text(), line) : [];
      setOutcome({ kind: "failed", message: errorText(error), line, context });
    }
  };

  return (
    <section class="card" data-testid="import-panel">
      <header class="card-head">
        <h2>Import</h2>
        <span class="card-note">JSON Lines, one prompt per line; a bad line stops the whole import, so nothing half-loads</span>
      </header>
      <form class="form-row" onSubmit={submit}>
        <label class="field">
          <span>File</span>
          <input
            type="file"
            accept=".jsonl,.json,.txt,application/json"
            data-testid="import-file"
            onChange={(event) => {
              setFile((event.currentTarget as HTMLInputElement).files?.[0] ?? null);
              setOutcome({ kind: "idle" });
            }}
          />
        </label>
        <label class="field">
          <span>Format</span>
          <select value={format} onChange={(event) => setFormat((event.currentTarget as HTMLSelectElement).value)} data-testid="import-format">
            {FORMATS.map((f) => (
              <option key={f.value} value={f.value}>{f.label}</option>
            ))}
          </select>
        </label>
        <label class={`check${labelled ? "" : " is-disabled"}`}>
          <input type="checkbox" checked={labelled && withLabels} disabled={!labelled} onChange={(event) => setWithLabels((event.currentTarget as HTMLInputElement).checked)} />
          Import the labels as judgments
        </label>
        <button class="btn btn-primary" type="submit" disabled={!file || outcome.kind === "sending"} data-testid="import-submit">
          {outcome.kind === "sending" ? "Uploading…" : "Upload"}
        </button>
      </form>
      <p class="field-hint muted">{FORMATS.find((f) => f.value === format)?.hint}{file ? ` · ${file.name}, ${bytes(file.size)}` : ""}</p>
      {outcome.kind === "done" && (
        <div class="ok-box" role="status" data-testid="import-result">
          Imported {count(outcome.result.counts.comparisons ?? 0)} comparisons from {count(outcome.result.counts.lines ?? 0)} lines
          {outcome.result.counts.judgments ? `, with ${count(outcome.result.counts.judgments)} judgments` : ""}.
          {outcome.result.skipped.length > 0 && ` ${outcome.result.skipped.length} lines skipped (see below).`}
        </div>
      )}
      {outcome.kind === "failed" && (
        <div class="error-box import-error" role="alert" data-testid="import-error">
          <div>
            <strong>{outcome.line !== null ? `Line ${outcome.line}` : "Not imported"}:</strong>{" "}
            {outcome.line !== null ? outcome.message.replace(/^line \d+:\s*/, "") : outcome.message}
          </div>
          {outcome.context.length > 0 && (
            <pre class="line-context">
              {outcome.context.map((line) => (
                <div key={line.number} class={line.isError ? "is-error" : ""}>
                  <span class="line-no">{line.number}</span>
                  {line.text}
                </div>
              ))}
            </pre>
          )}
          <div class="muted small">Nothing from this file was stored. Fix the line and upload again.</div>
        </div>
      )}
      {history.state === "ready" && history.data.length > 0 && <ImportHistory imports={history.data} />}
    </section>
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
            <td>
              {item.skipped.length === 0 ? (
                <span class="muted">none</span>
              ) : (
                <details>
                  <summary>{item.skipped.length} lines</summary>
                  <ul class="skipped-lines">
                    {item.skipped.slice(0, 50).map((skip) => (
                      <li key={skip.line}>
                        <span class="line-no">{skip.line}</span> {skip.reason}
                      </li>
                    ))}
                  </ul>
                </details>
              )}
            </td>
            <td>{ago(item.created_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

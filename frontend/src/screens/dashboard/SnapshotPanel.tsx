import { useState } from "preact/hooks";
import { createSnapshot, listSnapshots } from "../../api";
import { ago, count, shortHash } from "../../logic/format";
import { NEW_SNAPSHOT, STATUS_LABELS, type SnapshotFormValues, inFlight, reusedText, snapshotPollEvery, snapshotRequest } from "../../logic/snapshots";
import type { AnnotatorQuality, Project, Snapshot } from "../../types";
import { AGGREGATIONS, FORMAT_OPTIONS, LABEL_OPTIONS } from "./ExportPanel";
import { FilterFields } from "./FilterFields";
import { errorText, usePolled } from "./usePolled";

interface Props {
  project: Project;
  models: string[];
  annotators: AnnotatorQuality[];
}

/** Immutable train/validation snapshots (what training runs read), and a form to make one. A worker
 * writes each new snapshot: the list is polled until none is pending or running. */
export function SnapshotPanel({ project, models, annotators }: Props) {
  const [snapshots, reload] = usePolled(() => listSnapshots(project.id), snapshotPollEvery, [project.id]);
  const [creating, setCreating] = useState(false);
  const [fresh, setFresh] = useState<number | null>(null);

  return (
    <section class="card" data-testid="snapshot-panel">
      <header class="card-head">
        <h2>Dataset snapshots</h2>
        <span class="card-note">Frozen exports with a content hash: a training run names the exact rows it saw</span>
        <button class="btn btn-sm" onClick={() => setCreating(!creating)} aria-expanded={creating} data-testid="snapshot-new">
          {creating ? "Close" : "Create snapshot"}
        </button>
      </header>
      {creating && (
        <SnapshotForm
          project={project}
          models={models}
          annotators={annotators}
          onCreated={(snapshot) => {
            setFresh(snapshot.id);
            setCreating(false);
            reload();
          }}
        />
      )}
      {snapshots.state === "loading" && <div class="skeleton" style={{ height: "60px" }} />}
      {snapshots.state === "error" && <div class="error-box">{snapshots.message}</div>}
      {snapshots.state === "ready" && snapshots.data.length === 0 && (
        <p class="muted pending-note">No snapshots yet. Training runs make one when they start, or create one here.</p>
      )}
      {snapshots.state === "ready" && <FreshReused snapshots={snapshots.data} fresh={fresh} />}
      {snapshots.state === "ready" && snapshots.data.length > 0 && <SnapshotTable snapshots={snapshots.data} fresh={fresh} />}
    </section>
  );
}

/** The snapshot just asked for wrote nothing: nothing had changed since an identical one. */
function FreshReused({ snapshots, fresh }: { snapshots: Snapshot[]; fresh: number | null }) {
  const asked = snapshots.find((s) => s.id === fresh);
  const text = asked ? reusedText(asked) : null;
  if (!text) return null;
  return <p class="pending-note" role="status" data-testid="snapshot-reused-note">Nothing changed: {text}. No second file was written.</p>;
}

function SnapshotTable({ snapshots, fresh }: { snapshots: Snapshot[]; fresh: number | null }) {
  const most = Math.max(1, ...snapshots.map((s) => (s.row_counts.train ?? 0) + (s.row_counts.validation ?? 0)));
  return (
    <div class="table-scroll">
      <table class="data-table" data-testid="snapshot-table">
        <thead>
          <tr>
            <th class="num">#</th>
            <th>Format</th>
            <th>Status</th>
            <th>SHA-256</th>
            <th>Rows (train · validation)</th>
            <th>Filters</th>
            <th>By</th>
            <th>When</th>
          </tr>
        </thead>
        <tbody>
          {snapshots.map((s) => <SnapshotRow key={s.id} snapshot={s} fresh={s.id === fresh} most={most} />)}
        </tbody>
      </table>
    </div>
  );
}

/** The filters a snapshot was written with, "key=value" each; unset ones left out. */
function filterText(filters: Snapshot["filters"]): string {
  const set = Object.entries(filters).filter(([, v]) => v !== null && v !== false && !(Array.isArray(v) && v.length === 0));
  return set.map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : String(v)}`).join(" ");
}

function SnapshotRow({ snapshot: s, fresh, most }: { snapshot: Snapshot; fresh: boolean; most: number }) {
  const filters = filterText(s.filters);
  const reused = reusedText(s);
  if (reused) {
    return (
      <tr class={`snapshot-reused${fresh ? " is-fresh" : ""}`} data-testid={`snapshot-${s.id}`} data-reused-from={s.reused_from}>
        <td class="num">{s.id}</td>
        <td colSpan={5} class="small muted" data-testid="snapshot-reused" title={`sha256 ${s.sha256}`}>
          {s.format}: {reused} (sha256 {shortHash(s.sha256)}, no new files)
        </td>
        <td>{s.created_by ?? "—"}</td>
        <td>{ago(s.created_at)}</td>
      </tr>
    );
  }
  return (
    <tr class={fresh ? "is-fresh" : ""} data-testid={`snapshot-${s.id}`}>
      <td class="num">{s.id}</td>
      <td>
        {s.format} <span class="muted small">{s.aggregation}</span>
        {s.options.labels && <span class="badge small" title="Whose judgments">{s.options.labels === "model" ? "judges'" : "people's and judges'"}</span>}
      </td>
      <td>
        <SnapshotStatusPill snapshot={s} />
      </td>
      {s.status === "ready" ? (
        <SnapshotRows snapshot={s} most={most} />
      ) : (
        <td colSpan={2} class={s.status === "failed" ? "small snapshot-error" : "small muted"}>
          {s.status === "failed" ? s.error || "failed" : s.status === "running" ? `started ${ago(s.started_at)}` : "—"}
        </td>
      )}
      <td class="small">{filters || <span class="muted">none</span>}</td>
      <td>{s.created_by ?? "—"}</td>
      <td>{ago(s.created_at)}</td>
    </tr>
  );
}

function SnapshotRows({ snapshot: s, most }: { snapshot: Snapshot; most: number }) {
  const train = s.row_counts.train ?? 0;
  const validation = s.row_counts.validation ?? 0;
  return (
    <>
      <td class="mono" title={s.sha256}>{shortHash(s.sha256)}</td>
      <td>
        <div class="split-bar" title={`${train} train, ${validation} validation`}>
          <span class="split-train" style={{ width: `${(100 * train) / most}%` }} />
          <span class="split-val" style={{ width: `${(100 * validation) / most}%` }} />
        </div>
        <span class="small">
          <strong>{count(train)}</strong> · {count(validation)}
        </span>
        {s.status === "ready" && train === 0 && (
          <div class="small empty-snapshot" data-testid="snapshot-empty">
            No training rows: its filters, or its validation share, left none.
          </div>
        )}
      </td>
    </>
  );
}

function SnapshotStatusPill({ snapshot }: { snapshot: Snapshot }) {
  return (
    <span class={`status-pill status-${snapshot.status}`} data-testid="snapshot-status" title={snapshot.error || undefined}>
      {inFlight(snapshot.status) && <span class="spinner" aria-hidden="true" />}
      {STATUS_LABELS[snapshot.status]}
    </span>
  );
}

type Field = <K extends keyof SnapshotFormValues>(key: K) => (event: Event) => void;

function SnapshotForm({ project, models, annotators, onCreated }: Props & { onCreated: (snapshot: Snapshot) => void }) {
  const [values, setValues] = useState<SnapshotFormValues>(NEW_SNAPSHOT);
  const [state, setState] = useState<{ sending: boolean; error: string }>({ sending: false, error: "" });
  const { body, problems, errors } = snapshotRequest(values);
  const field: Field = (key) => (event) => setValues({ ...values, [key]: (event.currentTarget as HTMLInputElement).value });
  const submit = async (event: Event) => {
    event.preventDefault();
    if (problems.length) return;
    setState({ sending: true, error: "" });
    try {
      onCreated(await createSnapshot(project.id, body));
    } catch (error) {
      setState({ sending: false, error: errorText(error) });
    }
  };
  return (
    <form class="subform" onSubmit={submit} data-testid="snapshot-form">
      <SnapshotChoices values={values} field={field} />
      <FilterFields value={values.filters} onChange={(filters) => setValues({ ...values, filters })} errors={errors} models={models} annotators={annotators} />
      {state.error && <div class="error-box" role="alert">{state.error}</div>}
      {problems.length > 0 && <p class="field-error">{problems.join("; ")}</p>}
      <div class="form-actions">
        <button class="btn btn-primary" type="submit" disabled={state.sending || problems.length > 0} data-testid="snapshot-create">
          {state.sending ? "Queuing the snapshot…" : "Create snapshot"}
        </button>
        <span class="muted small">Split by prompt, so no prompt is in both train and validation. A worker writes it; this list shows when it is ready.</span>
      </div>
    </form>
  );
}

function SnapshotChoices({ values, field }: { values: SnapshotFormValues; field: Field }) {
  return (
    <div class="form-grid">
      <label class="field">
        <span>Format</span>
        <select value={values.format} onChange={field("format")}>
          {FORMAT_OPTIONS.filter((o) => o.value !== "raw").map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
        </select>
      </label>
      <label class="field">
        <span>Aggregation</span>
        <select value={values.aggregation} onChange={field("aggregation")}>
          {AGGREGATIONS.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
        </select>
      </label>
      <label class="field">
        <span>Labels</span>
        <select value={values.labels} onChange={field("labels")} data-testid="snapshot-labels">
          {LABEL_OPTIONS.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
        </select>
      </label>
      <label class="field">
        <span>File</span>
        <select value={values.file} onChange={field("file")}>
          <option value="jsonl">JSON Lines</option>
          <option value="parquet">Parquet</option>
        </select>
      </label>
      <label class="field">
        <span>Validation, %</span>
        <input type="number" min={0} max={99} value={values.validation} onInput={field("validation")} />
      </label>
      <label class="field">
        <span>Split seed</span>
        <input type="number" step={1} value={values.seed} onInput={field("seed")} />
      </label>
    </div>
  );
}

import { useState } from "preact/hooks";
import { createSnapshot, listSnapshots } from "../../api";
import { MAX_SPLIT_SEED } from "../../generated/constants";
import { EMPTY_FILTERS, type FilterForm, parseFilters } from "../../logic/exportQuery";
import { ago, count, shortHash } from "../../logic/format";
import { STATUS_LABELS, inFlight, snapshotPollEvery } from "../../logic/snapshots";
import type { Aggregation, AnnotatorQuality, ExportFormat, Project, Snapshot } from "../../types";
import { AGGREGATIONS, FORMAT_OPTIONS } from "./ExportPanel";
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
      {snapshots.state === "ready" && snapshots.data.length > 0 && <SnapshotTable snapshots={snapshots.data} fresh={fresh} />}
    </section>
  );
}

function SnapshotTable({ snapshots, fresh }: { snapshots: Snapshot[]; fresh: number | null }) {
  const most = Math.max(1, ...snapshots.map((s) => (s.row_counts.train ?? 0) + (s.row_counts.validation ?? 0)));
  return (
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
        {snapshots.map((s) => {
          const train = s.row_counts.train ?? 0;
          const validation = s.row_counts.validation ?? 0;
          const filters = Object.entries(s.filters).filter(([, v]) => v !== null && v !== false && !(Array.isArray(v) && v.length === 0));
          return (
            <tr key={s.id} class={s.id === fresh ? "is-fresh" : ""} data-testid={`snapshot-${s.id}`}>
              <td class="num">{s.id}</td>
              <td>
                {s.format} <span class="muted small">{s.aggregation}</span>
              </td>
              <td>
                <SnapshotStatusPill snapshot={s} />
              </td>
              {s.status === "ready" ? (
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
                  </td>
                </>
              ) : (
                <td colSpan={2} class={s.status === "failed" ? "small snapshot-error" : "small muted"}>
                  {s.status === "failed" ? s.error || "failed" : s.status === "running" ? `started ${ago(s.started_at)}` : "—"}
                </td>
              )}
              <td class="small">{filters.length ? filters.map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : String(v)}`).join(" ") : <span class="muted">none</span>}</td>
              <td>{s.created_by ?? "—"}</td>
              <td>{ago(s.created_at)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
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

function SnapshotForm({ project, models, annotators, onCreated }: Props & { onCreated: (snapshot: Snapshot) => void }) {
  const [format, setFormat] = useState<ExportFormat>("trl");
  const [aggregation, setAggregation] = useState<Aggregation>("majority");
  const [file, setFile] = useState<"jsonl" | "parquet">("jsonl");
  const [seed, setSeed] = useState("0");
  const [validation, setValidation] = useState("10");
  const [filters, setFilters] = useState<FilterForm>(EMPTY_FILTERS);
  const [state, setState] = useState<{ sending: boolean; error: string }>({ sending: false, error: "" });
  const parsed = parseFilters(filters);
  const seedValue = Number(seed);
  const fraction = Number(validation) / 100;
  const problems = [
    ...(Number.isInteger(seedValue) && seedValue >= 0 && seedValue <= MAX_SPLIT_SEED ? [] : [`the split seed is a whole number from 0 to ${MAX_SPLIT_SEED}`]),
    ...(fraction >= 0 && fraction < 1 && validation.trim() !== "" ? [] : ["validation is 0 to 99 %"]),
    ...Object.values(parsed.errors),
  ];

  const submit = async (event: Event) => {
    event.preventDefault();
    if (problems.length) return;
    setState({ sending: true, error: "" });
    try {
      const snapshot = await createSnapshot(project.id, {
        format, aggregation, file, pairs: "all", conversational: format === "trl" || format === "kto",
        include_winners: format === "sft", split_seed: seedValue, validation_fraction: fraction, filters: parsed.filters,
      });
      onCreated(snapshot);
    } catch (error) {
      setState({ sending: false, error: errorText(error) });
    }
  };

  return (
    <form class="subform" onSubmit={submit} data-testid="snapshot-form">
      <div class="form-grid">
        <label class="field">
          <span>Format</span>
          <select value={format} onChange={(e) => setFormat((e.currentTarget as HTMLSelectElement).value as ExportFormat)}>
            {FORMAT_OPTIONS.filter((o) => o.value !== "raw").map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
          </select>
        </label>
        <label class="field">
          <span>Aggregation</span>
          <select value={aggregation} onChange={(e) => setAggregation((e.currentTarget as HTMLSelectElement).value as Aggregation)}>
            {AGGREGATIONS.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
          </select>
        </label>
        <label class="field">
          <span>File</span>
          <select value={file} onChange={(e) => setFile((e.currentTarget as HTMLSelectElement).value as "jsonl" | "parquet")}>
            <option value="jsonl">JSON Lines</option>
            <option value="parquet">Parquet</option>
          </select>
        </label>
        <label class="field">
          <span>Validation, %</span>
          <input type="number" min={0} max={99} value={validation} onInput={(e) => setValidation((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>Split seed</span>
          <input type="number" step={1} value={seed} onInput={(e) => setSeed((e.currentTarget as HTMLInputElement).value)} />
        </label>
      </div>
      <FilterFields value={filters} onChange={setFilters} errors={parsed.errors} models={models} annotators={annotators} />
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

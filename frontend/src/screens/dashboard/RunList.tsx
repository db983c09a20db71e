import { useState } from "preact/hooks";
import { cancelRun } from "../../api";
import { ago, duration, remaining } from "../../logic/format";
import { hrefFor } from "../../router";
import type { Checkpoint, TrainingRun } from "../../types";
import { errorText } from "./usePolled";

export const ACTIVE = new Set(["queued", "running"]);

export function StatusPill({ run }: { run: TrainingRun }) {
  const label = run.cancel_requested && ACTIVE.has(run.status) ? "cancelling" : run.status;
  return (
    <span class={`status-pill status-${label}`} data-testid="run-status">
      {run.status === "running" && <span class="spinner" aria-hidden="true" />}
      {label}
    </span>
  );
}

export function RunProgress({ run }: { run: TrainingRun }) {
  const share = run.progress_total ? Math.min(1, run.progress_step / run.progress_total) : run.status === "succeeded" ? 1 : 0;
  const left = run.status === "running" ? remaining(run.started_at, run.progress_step, run.progress_total) : null;
  return (
    <div class="run-progress" title={`step ${run.progress_step} of ${run.progress_total || "?"}`}>
      <div class={`bar run-bar status-${run.status}`}>
        <div class="bar-fill" style={{ width: `${Math.round(share * 100)}%` }} />
      </div>
      <span class="small muted">
        {run.progress_total ? `${run.progress_step} / ${run.progress_total}` : run.status === "queued" ? "waiting for a worker" : "—"}
        {left !== null && ` · about ${duration(left)} left`}
      </span>
    </div>
  );
}

/** How long the run has taken, or has been taking. */
export function runDuration(run: TrainingRun, now = Date.now()): string {
  if (!run.started_at) return "—";
  const end = run.finished_at ? Date.parse(run.finished_at) : now;
  return duration((end - Date.parse(run.started_at)) / 1000);
}

export function baseLabel(run: TrainingRun, checkpoints: Checkpoint[]): string {
  if (run.base_checkpoint !== null) return checkpoints.find((c) => c.id === run.base_checkpoint)?.name ?? `checkpoint ${run.base_checkpoint}`;
  const parts = run.base_model.split("/").filter(Boolean);
  return parts.slice(-2).join("/") || run.base_model;
}

/** The project's runs, newest first, with live status and progress. */
export function RunList({ runs, checkpoints, onChange }: { runs: TrainingRun[]; checkpoints: Checkpoint[]; onChange: () => void }) {
  const [error, setError] = useState("");
  if (runs.length === 0) return <p class="muted pending-note">No runs yet. Start one above.</p>;
  const cancel = async (run: TrainingRun) => {
    try {
      await cancelRun(run.id);
      setError("");
    } catch (e) {
      setError(errorText(e));
    }
    onChange();
  };
  return (
    <>
      {error && <div class="error-box" role="alert">{error}</div>}
      <table class="data-table run-table" data-testid="run-table">
        <thead>
          <tr>
            <th class="num">Run</th>
            <th>Stage</th>
            <th>Status</th>
            <th>Progress</th>
            <th>From</th>
            <th>Took</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id} data-testid={`run-${run.id}`}>
              <td class="num">
                <a href={hrefFor({ name: "dashboard", projectId: run.project, tab: "training", runId: run.id })} data-nav>#{run.id}</a>
              </td>
              <td><span class={`stage-badge stage-${run.stage}`}>{run.stage}</span></td>
              <td><StatusPill run={run} /></td>
              <td><RunProgress run={run} /></td>
              <td class="mono small" title={run.base_model}>{baseLabel(run, checkpoints)}</td>
              <td>{runDuration(run)}</td>
              <td>{ago(run.created_at)}</td>
              <td class="actions">
                {ACTIVE.has(run.status) && !run.cancel_requested && (
                  <button class="btn btn-sm" onClick={() => cancel(run)} data-testid={`cancel-${run.id}`}>Cancel</button>
                )}
                <a class="btn btn-ghost btn-sm" href={hrefFor({ name: "dashboard", projectId: run.project, tab: "training", runId: run.id })} data-nav>
                  Open
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

import { useState } from "preact/hooks";
import { cancelRun } from "../../api";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ago, duration, remaining } from "../../logic/format";
import { finalFigures, runSettings } from "../../logic/runSummary";
import { hrefFor } from "../../router";
import type { Checkpoint, TrainingRun } from "../../types";
import { VERDICT_CLASS } from "./CheckpointList";
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

/** Cancel a run; the error, if any, to show above the list. */
function useCancel(onChange: () => void): [string, (run: TrainingRun) => Promise<void>] {
  const [error, setError] = useState("");
  const cancel = async (run: TrainingRun) => {
    try {
      await cancelRun(run.id);
      setError("");
    } catch (e) {
      setError(errorText(e));
    }
    onChange();
  };
  return [error, cancel];
}

interface Props {
  runs: TrainingRun[];
  checkpoints: Checkpoint[];
  onChange: () => void;
  /** Runs ticked for the overlay of their curves. */
  selected: number[];
  onSelect: (runId: number, on: boolean) => void;
  /** Most runs one overlay draws. */
  maxSelected: number;
}

/** The project's runs, newest first, with live status and progress, key settings and final figures. */
export function RunList({ runs, checkpoints, onChange, selected, onSelect, maxSelected }: Props) {
  const [error, cancel] = useCancel(onChange);
  if (runs.length === 0) return <p class="muted pending-note">No runs yet. Start one above.</p>;
  const full = selected.length >= maxSelected;
  return (
    <>
      {error && <div class="error-box" role="alert">{error}</div>}
      <div class="table-scroll">
        <table class="data-table run-table" data-testid="run-table">
          <thead>
            <tr>
              <th><span class="sr-only">Compare</span></th>
              <th class="num">Run</th>
              <th>Stage</th>
              <th>Status</th>
              <th>Progress</th>
              <th>From</th>
              <th>Settings</th>
              <th>Final</th>
              <th>Took</th>
              <th>Created</th>
              <th><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => {
              const ticked = selected.includes(run.id);
              return (
                <RunRow key={run.id} run={run} checkpoints={checkpoints} cancel={cancel}
                  ticked={ticked} canTick={ticked || !full} onTick={(on) => onSelect(run.id, on)} />
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

interface RowProps {
  run: TrainingRun;
  checkpoints: Checkpoint[];
  cancel: (run: TrainingRun) => void;
  ticked: boolean;
  canTick: boolean;
  onTick: (on: boolean) => void;
}

function RunRow({ run, checkpoints, cancel, ticked, canTick, onTick }: RowProps) {
  const href = hrefFor({ name: "dashboard", projectId: run.project, tab: "training", runId: run.id });
  return (
    <tr data-testid={`run-${run.id}`} class={ticked ? "is-selected" : undefined}>
      <td>
        <input type="checkbox" checked={ticked} disabled={!canTick} aria-label={`Compare run #${run.id}`}
          title={canTick ? "Overlay this run's curves with the other ticked runs" : "As many runs as one chart draws are ticked"}
          data-testid={`run-select-${run.id}`} onChange={(e) => onTick((e.currentTarget as HTMLInputElement).checked)} />
      </td>
      <td class="num"><a href={href} data-nav>#{run.id}</a></td>
      <td><span class={`stage-badge stage-${run.stage}`}>{run.stage}</span></td>
      <td><StatusPill run={run} /></td>
      <td><RunProgress run={run} /></td>
      <td class="mono small" title={run.base_model}>{baseLabel(run, checkpoints)}</td>
      <td data-testid="run-settings"><SettingChips run={run} /></td>
      <td data-testid="run-final"><FinalChips run={run} /></td>
      <td>{runDuration(run)}</td>
      <td>{ago(run.created_at)}</td>
      <td class="actions">
        {ACTIVE.has(run.status) && !run.cancel_requested && (
          <ConfirmButton label="Cancel" question={`Stop #${run.id}?`} confirm="Yes, cancel" small
            onConfirm={() => cancel(run)} testId={`cancel-${run.id}`} />
        )}
        <a class="btn btn-ghost btn-sm" href={href} data-nav>Open</a>
      </td>
    </tr>
  );
}

function SettingChips({ run }: { run: TrainingRun }) {
  const facts = runSettings(run);
  if (facts.length === 0) return <span class="muted">—</span>;
  return (
    <span class="run-facts small">
      {facts.map((fact) => (
        <span key={fact.key} class="run-fact" data-setting={fact.key}>
          {fact.label && <span class="muted">{fact.label} </span>}
          {fact.text}
        </span>
      ))}
    </span>
  );
}

function FinalChips({ run }: { run: TrainingRun }) {
  const figures = finalFigures(run);
  if (figures.length === 0) return <span class="muted">—</span>;
  return (
    <span class="chips">
      {figures.map((figure) => (
        <span key={figure.key} class={`chip metric-chip${figure.verdict ? VERDICT_CLASS[figure.verdict] : ""}`} data-metric={figure.key}>
          {figure.label} <strong>{figure.text}</strong>
        </span>
      ))}
    </span>
  );
}

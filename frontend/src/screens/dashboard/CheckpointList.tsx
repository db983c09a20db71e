import { accuracyVerdict } from "../../logic/accuracyVerdict";
import { ago, metricText } from "../../logic/format";
import { type RunSeed, seedsFor } from "../../logic/runForm";
import { hrefFor } from "../../router";
import type { Checkpoint, StageConfig } from "../../types";

// Held-out figures first; speed and the schedule say nothing about the model.
const FIRST = ["val_accuracy", "accuracy", "val_mean_margin", "val_margin", "val_loss", "loss", "reward", "kl", "val_count"];
const HIDDEN = new Set(["learning_rate", "samples_per_s", "tokens_per_s", "step", "margin", "mean_margin"]);

/** A checkpoint's evaluation figures, held-out ones first, accuracy as a share. */
export function MetricChips({ metrics }: { metrics: Record<string, unknown> }) {
  const rank = (key: string) => (FIRST.includes(key) ? FIRST.indexOf(key) : FIRST.length);
  const entries = (Object.entries(metrics).filter(([k, v]) => typeof v === "number" && !HIDDEN.has(k)) as [string, number][]).sort(
    (a, b) => rank(a[0]) - rank(b[0]),
  );
  if (!entries.length) return <span class="muted">—</span>;
  return (
    <span class="chips">
      {entries.map(([key, value]) => (
        <span key={key} class={`chip metric-chip${key === "val_accuracy" ? verdictClass(value, metrics.val_count) : ""}`} title={key === "val_accuracy" ? verdictTitle(value, metrics.val_count) : undefined}>
          {key.replace(/_/g, " ")}{" "}
          <strong>{metricText(key, value)}</strong>
        </span>
      ))}
    </span>
  );
}

/** A metric chip's class for an accuracy verdict: success colour only above chance. */
export const VERDICT_CLASS = { "above-chance": " is-key", "at-chance": " is-warn", unclear: "" };

function verdictClass(accuracy: number, count: unknown): string {
  return VERDICT_CLASS[accuracyVerdict(accuracy, typeof count === "number" ? count : null)];
}

function verdictTitle(accuracy: number, count: unknown): string {
  const n = typeof count === "number" ? count : null;
  const verdict = accuracyVerdict(accuracy, n);
  if (verdict === "at-chance") return "At or below chance (50%): the model has not learnt to tell the responses apart.";
  if (verdict === "unclear") return `Not clearly above chance on ${n ?? "an unknown number of"} validation pairs.`;
  return "Above chance: its 95% interval lies above 50%.";
}

/** The project's checkpoints, their figures, and the runs each can start. */
export function CheckpointList({ checkpoints, stages, onSeed }: { checkpoints: Checkpoint[]; stages: StageConfig[]; onSeed: (seed: RunSeed) => void }) {
  if (checkpoints.length === 0) return <p class="muted pending-note">Checkpoints appear here when reward, SFT, DPO, KTO, PPO, GRPO or RLOO runs succeed.</p>;
  return (
    <div class="table-scroll">
      <table class="data-table" data-testid="checkpoint-table">
        <thead>
          <tr>
            <th>Checkpoint</th>
            <th>Kind</th>
            <th>Evaluation</th>
            <th>Made</th>
            <th>Start next</th>
          </tr>
        </thead>
        <tbody>
          {checkpoints.map((checkpoint) => <CheckpointRow key={checkpoint.id} checkpoint={checkpoint} stages={stages} onSeed={onSeed} />)}
        </tbody>
      </table>
    </div>
  );
}

function CheckpointRow({ checkpoint, stages, onSeed }: { checkpoint: Checkpoint; stages: StageConfig[]; onSeed: (seed: RunSeed) => void }) {
  return (
    <tr data-testid={`checkpoint-${checkpoint.id}`}>
      <td>
        <div class="mono">{checkpoint.name}</div>
        {checkpoint.run !== null && (
          <a class="small" href={hrefFor({ name: "dashboard", projectId: checkpoint.project, tab: "training", runId: checkpoint.run })} data-nav>
            from run #{checkpoint.run}
          </a>
        )}
        {checkpoint.kind === "reward" && (
          <>
            {checkpoint.run !== null && <span class="small muted"> · </span>}
            <a class="small" href={hrefFor({ name: "dashboard", projectId: checkpoint.project, tab: "training", checkpointId: checkpoint.id })}
              data-nav data-testid={`report-link-${checkpoint.id}`}>
              report
            </a>
          </>
        )}
      </td>
      <td><span class={`stage-badge kind-${checkpoint.kind}`}>{checkpoint.kind}</span></td>
      <td><MetricChips metrics={checkpoint.metrics} /></td>
      <td>{ago(checkpoint.created_at)}</td>
      <td class="actions seed-actions">
        {seedsFor(checkpoint, stages).slice(0, 3).map((seed) => (
          <button key={seed.label} class="btn btn-sm" onClick={() => onSeed(seed)} data-testid={`seed-${checkpoint.id}-${seed.stage}`}>
            {seed.label}
          </button>
        ))}
      </td>
    </tr>
  );
}

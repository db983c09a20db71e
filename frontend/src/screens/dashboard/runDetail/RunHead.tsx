import { useState } from "preact/hooks";
import { cancelRun } from "../../../api";
import { ConfirmButton } from "../../../components/ConfirmButton";
import { ago } from "../../../logic/format";
import { attemptsText, configText } from "../../../logic/runSummary";
import { hrefFor } from "../../../router";
import type { Checkpoint, TrainingRun } from "../../../types";
import { ACTIVE, RunProgress, StatusPill, baseLabel, runDuration } from "../RunList";
import { errorText } from "../usePolled";

interface Props {
  run: TrainingRun;
  checkpoints: Checkpoint[];
  /** Poll the run again (after a cancel). */
  restart: () => void;
}

/** What cancelling costs: a running run stops and its steps since its last save are lost. */
function cancelQuestion(run: TrainingRun): string {
  return run.status === "running"
    ? `Stop run #${run.id}? The steps since its last save are lost.`
    : `Cancel run #${run.id} before it starts?`;
}

/** The run's title, status, progress, cancel button, facts and settings. */
export function RunHead({ run, checkpoints, restart }: Props) {
  const [cancelError, setCancelError] = useState("");
  const cancel = async () => {
    try {
      await cancelRun(run.id);
      setCancelError("");
    } catch (e) {
      setCancelError(errorText(e));
    }
    restart();
  };
  return (
    <section class="card run-head">
      <div class="run-title">
        <h2>
          Run #{run.id} <span class={`stage-badge stage-${run.stage}`}>{run.stage}</span>
        </h2>
        <StatusPill run={run} />
        <div class="topbar-spacer" />
        {ACTIVE.has(run.status) && !run.cancel_requested && (
          <ConfirmButton label="Cancel run" question={cancelQuestion(run)} confirm="Yes, cancel"
            onConfirm={cancel} testId="run-cancel" />
        )}
        {!ACTIVE.has(run.status) && (
          <a class="btn btn-sm" href={`${hrefFor({ name: "dashboard", projectId: run.project, tab: "training" })}?rerun=${run.id}`} data-nav
            title="Open the run form filled with this run's stage, inputs and settings; nothing starts until you press Start" data-testid="run-again">
            Run again with these settings
          </a>
        )}
      </div>
      <RunProgress run={run} />
      {cancelError && <div class="error-box" role="alert">{cancelError}</div>}
      <RunFacts run={run} checkpoints={checkpoints} />
      <details class="config-details">
        <summary>Settings</summary>
        <div class="chips">
          {Object.entries(run.config).map(([key, value]) => (
            <span key={key} class="chip" data-setting={key}>{key} <strong>{configText(value)}</strong></span>
          ))}
        </div>
      </details>
    </section>
  );
}

function RunFacts({ run, checkpoints }: { run: TrainingRun; checkpoints: Checkpoint[] }) {
  const data = dataLabel(run);
  return (
    <dl class="facts">
      <div><dt>From</dt><dd class="mono" title={run.base_model}>{baseLabel(run, checkpoints)}</dd></div>
      {run.reward_checkpoint !== null && (
        <div><dt>Reward model</dt><dd class="mono">{checkpoints.find((c) => c.id === run.reward_checkpoint)?.name ?? `#${run.reward_checkpoint}`}</dd></div>
      )}
      <div><dt>Data</dt><dd>{data}</dd></div>
      <div><dt>Created</dt><dd>{ago(run.created_at)}</dd></div>
      <div><dt>Took</dt><dd>{runDuration(run)}</dd></div>
      <div><dt>Worker</dt><dd class="mono">{run.worker || "—"}</dd></div>
      {run.heartbeat_at && ACTIVE.has(run.status) && <div><dt>Last heartbeat</dt><dd>{ago(run.heartbeat_at)}</dd></div>}
      {run.attempts > 1 && (
        <div data-testid="run-attempts">
          <dt>Attempts</dt>
          <dd>{attemptsText(run)}</dd>
        </div>
      )}
    </dl>
  );
}

/** What a run reads: its snapshot, or the project itself for the stages that take none. */
function dataLabel(run: TrainingRun): string {
  if (run.snapshot !== null) return `snapshot #${run.snapshot}`;
  if (run.stage === "generate") return "project prompts";
  if (run.stage === "judge") return "project comparisons";
  return "snapshot when it starts";
}

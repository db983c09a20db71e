// The run form's fields besides the settings: the stage, the base, the reward model and the data.

import { baseKinds, type JudgeMode, judgeMode, newestBase } from "../../../logic/runForm";
import { trainable } from "../../../logic/snapshots";
import type { Checkpoint, Snapshot, StageConfig } from "../../../types";
import type { RunFormState } from "./useRunForm";

const selected = (event: Event) => Number((event.currentTarget as HTMLSelectElement).value) || null;

export function StagePicker({ stages, form }: { stages: StageConfig[]; form: RunFormState }) {
  const current = form.choices.stage;
  return (
    <div class="stage-picker" role="radiogroup" aria-label="Stage">
      {stages.map((s) => (
        <button
          key={s.stage}
          type="button"
          role="radio"
          aria-checked={s.stage === current}
          class={`stage-option${s.stage === current ? " is-current" : ""}`}
          onClick={() => form.chooseStage(s.stage)}
          data-testid={`stage-${s.stage}`}
        >
          <strong>{s.stage.toUpperCase()}</strong>
          <span>{s.label}</span>
        </button>
      ))}
    </div>
  );
}

/** Start from a checkpoint of the kinds the stage takes, or from a model path or hub id. */
export function BaseField({ config, bases, form }: { config: StageConfig; bases: Checkpoint[]; form: RunFormState }) {
  const { base } = form;
  return (
    <div class="field">
      <span class="field-label-row">
        Start from
        <span class="segmented">
          <button type="button" aria-pressed={base.mode === "checkpoint"} disabled={!bases.length} onClick={() => base.choose("checkpoint")} data-testid="run-base-mode-checkpoint">
            checkpoint{bases.length ? ` (${bases.length})` : ""}
          </button>
          <button type="button" aria-pressed={base.mode === "model"} onClick={() => base.choose("model")} data-testid="run-base-mode-model">
            model path or hub id
          </button>
        </span>
      </span>
      {base.mode === "checkpoint" ? (
        <select value={base.checkpoint ?? ""} onChange={(e) => base.choose("checkpoint", selected(e))} aria-label="Start from checkpoint" data-testid="run-base-checkpoint">
          <option value="">Choose a {baseKinds(config, form.values).join(" or ")} checkpoint…</option>
          {bases.map((c) => <option key={c.id} value={c.id}>{c.name} ({c.kind})</option>)}
        </select>
      ) : (
        <BaseModelInput form={form} />
      )}
    </div>
  );
}

function BaseModelInput({ form }: { form: RunFormState }) {
  const { model } = form.base;
  return (
    <>
      <input
        value={model}
        placeholder="a model directory on the workers, or a hub id"
        aria-label="Base model: a directory on the workers or a hub id"
        aria-describedby="base-model-help"
        onInput={(e) => form.base.typeModel((e.currentTarget as HTMLInputElement).value)}
        data-testid="run-base-model"
      />
      <span id="base-model-help" class="small muted">
        {model.trim() ? "Read by the GPU worker; a hub id needs a worker with internet." : "Required: where the worker finds the model to start from."}
      </span>
    </>
  );
}

/** Online RL: the reward model, and the criterion to score on when it judges per criterion. */
export function RewardFields({ rewards, form }: { rewards: Checkpoint[]; form: RunFormState }) {
  const { rewardCheckpoint } = form.choices;
  const rewardCriteria = rewards.find((c) => c.id === rewardCheckpoint)?.criteria ?? [];
  return (
    <>
      <label class="field">
        <span>Reward model</span>
        <select value={rewardCheckpoint ?? ""} onChange={(e) => form.chooseReward(selected(e))} data-testid="run-reward-checkpoint">
          <option value="">{rewards.length ? "Choose a reward checkpoint…" : "No reward checkpoint yet: train one first"}</option>
          {rewards.map((c) => <option key={c.id} value={c.id}>{c.name}{c.criteria.length ? ` (judges ${c.criteria.join(", ")})` : ""}</option>)}
        </select>
      </label>
      {rewardCriteria.length > 0 && (
        <label class="field">
          <span>Score rollouts on</span>
          <select value={String(form.values.reward_criterion ?? "")} onChange={(e) => form.setValues({ ...form.values, reward_criterion: (e.currentTarget as HTMLSelectElement).value })} data-testid="run-reward-criterion">
            {rewardCriteria.map((name) => <option key={name} value={name}>{name}</option>)}
          </select>
        </label>
      )}
    </>
  );
}

/** The snapshot to train on, or one taken of the current data when the run starts. */
export function SnapshotField({ config, snapshots, form }: { config: StageConfig; snapshots: Snapshot[]; form: RunFormState }) {
  const usable = trainable(snapshots, config.snapshot_format);
  return (
    <label class="field">
      <span>Data</span>
      <select value={form.choices.snapshot ?? ""} onChange={(e) => form.setSnapshot(selected(e))} data-testid="run-snapshot">
        <option value="">Snapshot the current data when the run starts</option>
        {usable.map((s) => (
          <option key={s.id} value={s.id}>
            Snapshot #{s.id}: {s.row_counts.train ?? 0} train / {s.row_counts.validation ?? 0} validation · {s.sha256.slice(0, 8)}
          </option>
        ))}
      </select>
    </label>
  );
}

const JUDGE_MODES: { mode: JudgeMode; label: string; help: string }[] = [
  { mode: "judge", label: "judge the comparisons", help: "Its verdicts are stored as the judge's judgments, beside the people's." },
  {
    mode: "revise",
    label: "critique and revise",
    help: "A causal LM critiques each response against the project's guidelines and criteria and rewrites it; the revisions become a new snapshot of SFT demonstrations and (revision, original) pairs.",
  },
];

/** The judge stage's mode. Revising writes with a causal LM: choosing it moves the base to the
 * newest policy checkpoint when a reward model was chosen. */
export function JudgeModeField({ checkpoints, error, form }: { checkpoints: Checkpoint[]; error?: string; form: RunFormState }) {
  const current = judgeMode(form.values);
  const choose = (mode: JudgeMode) => {
    form.setValues({ ...form.values, mode });
    const chosen = checkpoints.find((c) => c.id === form.base.checkpoint);
    if (mode === "revise" && form.base.mode === "checkpoint" && chosen?.kind !== "policy") {
      form.base.choose("checkpoint", newestBase(checkpoints, ["policy"])?.id ?? null);
    }
  };
  return (
    <div class="field" data-testid="run-judge-mode">
      <span class="field-label-row">
        Mode
        <span class="segmented">
          {JUDGE_MODES.map(({ mode, label }) => (
            <button key={mode} type="button" aria-pressed={current === mode} onClick={() => choose(mode)} data-testid={`run-judge-mode-${mode}`}>
              {label}
            </button>
          ))}
        </span>
      </span>
      {error ? <em class="field-error">{error}</em> : <span class="small muted">{JUDGE_MODES.find((m) => m.mode === current)?.help}</span>}
    </div>
  );
}

import { useEffect, useState } from "preact/hooks";
import { ApiError, createRun } from "../../api";
import { type FormValues, defaultRewardCriterion, defaultValues, isEdited, newestBase, parseConfig, serverFieldError, switchStage } from "../../logic/runForm";
import type { Checkpoint, ConfigField, Project, Snapshot, Stage, StageConfig, TrainingRun } from "../../types";
import { errorText } from "./usePolled";
import { trainable } from "../../logic/snapshots";

/** What the form starts from when a checkpoint seeds it. */
export interface FormSeed {
  stage: Stage;
  base_checkpoint: number | null;
  reward_checkpoint: number | null;
}

interface Props {
  project: Project;
  stages: StageConfig[];
  checkpoints: Checkpoint[];
  snapshots: Snapshot[];
  seed: FormSeed | null;
  onCreated: (run: TrainingRun) => void;
}

// Shown first; the rest fold under "More settings".
const MAIN_FIELDS = ["learning_rate", "batch_size", "epochs", "max_steps", "beta", "num_samples", "max_new_tokens", "temperature"];

function human(name: string): string {
  const text = name.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Start any stage: base (checkpoint or model), the reward model of PPO, GRPO or RLOO, snapshot, and the stage's settings. */
export function RunForm({ project, stages, checkpoints, snapshots, seed, onCreated }: Props) {
  const [stage, setStage] = useState<Stage>(seed?.stage ?? "reward");
  const config = stages.find((s) => s.stage === stage) ?? stages[0];
  const [values, setValues] = useState<FormValues>(() => defaultValues(config?.fields ?? []));
  const [baseMode, setBaseMode] = useState<"checkpoint" | "model">("model");
  const [baseModel, setBaseModel] = useState("");
  const [baseCheckpoint, setBaseCheckpoint] = useState<number | null>(null);
  const [force, setForce] = useState(false);
  // Until the admin picks a base, each stage starts from the project's newest suitable checkpoint.
  const [basePicked, setBasePicked] = useState(false);
  const [rewardCheckpoint, setRewardCheckpoint] = useState<number | null>(null);
  const [snapshot, setSnapshot] = useState<number | null>(null);
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState("");
  const [sending, setSending] = useState(false);

  const pickStage = (next: Stage) => {
    const nextConfig = stages.find((s) => s.stage === next);
    if (!nextConfig || next === stage) return;
    setValues(switchStage(config.fields, values, nextConfig.fields));
    setStage(next);
    setSnapshot(null);
    setServerErrors({});
    setFormError("");
  };

  useEffect(() => {
    if (!seed) return;
    pickStage(seed.stage);
    if (seed.base_checkpoint !== null) pickBase("checkpoint", seed.base_checkpoint);
    if (seed.reward_checkpoint !== null) pickReward(seed.reward_checkpoint);
  }, [seed]);

  useEffect(() => {
    if (basePicked || !config) return;
    const newest = newestBase(checkpoints, config.base_kinds);
    setBaseMode(newest ? "checkpoint" : "model");
    setBaseCheckpoint(newest?.id ?? null);
  }, [stage, checkpoints, basePicked]);

  const pickBase = (mode: "checkpoint" | "model", id: number | null = baseCheckpoint) => {
    setBasePicked(true);
    setBaseMode(mode);
    setBaseCheckpoint(id);
  };

  const pickReward = (id: number | null) => {
    setRewardCheckpoint(id);
    setValues((current) => ({ ...current, reward_criterion: defaultRewardCriterion(checkpoints, id) }));
  };

  if (!config) return null;
  const bases = checkpoints.filter((c) => config.base_kinds.includes(c.kind));
  const rewards = checkpoints.filter((c) => c.kind === "reward");
  const rewardCriteria = rewards.find((c) => c.id === rewardCheckpoint)?.criteria ?? [];
  const usable = trainable(snapshots, config.snapshot_format);
  const { config: parsed, errors } = parseConfig(config.fields, values);
  const allErrors = { ...errors, ...serverErrors };
  const baseMissing = baseMode === "model" ? !baseModel.trim() : baseCheckpoint === null;
  const rewardMissing = config.needs_reward_checkpoint && rewardCheckpoint === null;
  const blocked = Object.keys(errors).length > 0 || baseMissing || rewardMissing;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (blocked) return;
    setSending(true);
    setFormError("");
    setServerErrors({});
    try {
      const run = await createRun({
        project: project.id,
        stage,
        base_model: baseMode === "model" ? baseModel.trim() : "",
        base_checkpoint: baseMode === "checkpoint" ? baseCheckpoint : null,
        reward_checkpoint: config.needs_reward_checkpoint ? rewardCheckpoint : null,
        snapshot: config.snapshot_format ? snapshot : null,
        config: parsed,
        force,
      });
      onCreated(run);
    } catch (error) {
      const field = error instanceof ApiError ? serverFieldError(error.body.detail ?? "") : null;
      if (field) setServerErrors({ [field.field]: field.message });
      else setFormError(errorText(error));
    } finally {
      setSending(false);
    }
  };

  const main = config.fields.filter((f) => MAIN_FIELDS.includes(f.name));
  // reward_criterion only means something for a reward model that judges per criterion: it sits beside that model.
  const more = config.fields.filter((f) => !MAIN_FIELDS.includes(f.name) && f.name !== "reward_criterion");
  const editedMore = more.filter((f) => isEdited(f, values[f.name]) || allErrors[f.name]).length;

  return (
    <form class="run-form" onSubmit={submit} data-testid="run-form">
      <div class="stage-picker" role="radiogroup" aria-label="Stage">
        {stages.map((s) => (
          <button
            key={s.stage}
            type="button"
            role="radio"
            aria-checked={s.stage === stage}
            class={`stage-option${s.stage === stage ? " is-current" : ""}`}
            onClick={() => pickStage(s.stage)}
            data-testid={`stage-${s.stage}`}
          >
            <strong>{s.stage.toUpperCase()}</strong>
            <span>{s.label}</span>
          </button>
        ))}
      </div>
      <p class="stage-description muted">{config.description}</p>

      <div class="form-grid two">
        <div class="field">
          <span class="field-label-row">
            Start from
            <span class="segmented">
              <button type="button" aria-pressed={baseMode === "checkpoint"} disabled={!bases.length} onClick={() => pickBase("checkpoint")} data-testid="run-base-mode-checkpoint">
                checkpoint{bases.length ? ` (${bases.length})` : ""}
              </button>
              <button type="button" aria-pressed={baseMode === "model"} onClick={() => pickBase("model")} data-testid="run-base-mode-model">
                model path or hub id
              </button>
            </span>
          </span>
          {baseMode === "checkpoint" ? (
            <select value={baseCheckpoint ?? ""} onChange={(e) => pickBase("checkpoint", Number((e.currentTarget as HTMLSelectElement).value) || null)} data-testid="run-base-checkpoint">
              <option value="">Choose a {config.base_kinds.join(" or ")} checkpoint…</option>
              {bases.map((c) => <option key={c.id} value={c.id}>{c.name} ({c.kind})</option>)}
            </select>
          ) : (
            <>
              <input
                value={baseModel}
                placeholder="a model directory on the workers, or a hub id"
                aria-describedby="base-model-help"
                onInput={(e) => {
                  setBasePicked(true);
                  setBaseModel((e.currentTarget as HTMLInputElement).value);
                }}
                data-testid="run-base-model"
              />
              <span id="base-model-help" class="small muted">
                {baseModel.trim() ? "Read by the GPU worker; a hub id needs a worker with internet." : "Required: where the worker finds the model to start from."}
              </span>
            </>
          )}
        </div>
        {config.needs_reward_checkpoint && (
          <label class="field">
            <span>Reward model</span>
            <select value={rewardCheckpoint ?? ""} onChange={(e) => pickReward(Number((e.currentTarget as HTMLSelectElement).value) || null)} data-testid="run-reward-checkpoint">
              <option value="">{rewards.length ? "Choose a reward checkpoint…" : "No reward checkpoint yet: train one first"}</option>
              {rewards.map((c) => <option key={c.id} value={c.id}>{c.name}{c.criteria.length ? ` (judges ${c.criteria.join(", ")})` : ""}</option>)}
            </select>
          </label>
        )}
        {config.needs_reward_checkpoint && rewardCriteria.length > 0 && (
          <label class="field">
            <span>Score rollouts on</span>
            <select value={String(values.reward_criterion ?? "")} onChange={(e) => setValues({ ...values, reward_criterion: (e.currentTarget as HTMLSelectElement).value })} data-testid="run-reward-criterion">
              {rewardCriteria.map((name) => <option key={name} value={name}>{name}</option>)}
            </select>
          </label>
        )}
        {config.snapshot_format && (
          <label class="field">
            <span>Data</span>
            <select value={snapshot ?? ""} onChange={(e) => setSnapshot(Number((e.currentTarget as HTMLSelectElement).value) || null)} data-testid="run-snapshot">
              <option value="">Snapshot the current data when the run starts</option>
              {usable.map((s) => (
                <option key={s.id} value={s.id}>
                  Snapshot #{s.id}: {s.row_counts.train ?? 0} train / {s.row_counts.validation ?? 0} validation · {s.sha256.slice(0, 8)}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>

      <fieldset class="hyper">
        <legend>Settings <span class="muted">defaults for {config.stage}; changed ones are marked</span></legend>
        <div class="form-grid">
          {main.map((field) => <ConfigInput key={field.name} field={field} value={values[field.name]} error={allErrors[field.name]} onChange={(v) => setValues({ ...values, [field.name]: v })} />)}
        </div>
        {more.length > 0 && (
          <details class="more-settings" open={editedMore > 0}>
            <summary>More settings{editedMore ? ` (${editedMore} changed)` : ""}</summary>
            <div class="form-grid">
              {more.map((field) => <ConfigInput key={field.name} field={field} value={values[field.name]} error={allErrors[field.name]} onChange={(v) => setValues({ ...values, [field.name]: v })} />)}
            </div>
          </details>
        )}
      </fieldset>

      {formError && <div class="error-box" role="alert" data-testid="run-form-error">{formError}</div>}
      {(force || /needs more data/.test(formError)) && (
        <label class="check" data-testid="run-force">
          <input type="checkbox" checked={force} onChange={(event) => setForce((event.currentTarget as HTMLInputElement).checked)} />
          Train anyway on too little data (the run will carry a warning)
        </label>
      )}
      <div class="form-actions">
        <button class="btn btn-primary" type="submit" disabled={blocked || sending} data-testid="run-start">
          {sending ? "Queuing…" : `Start ${config.stage} run`}
        </button>
        {blocked && (
          <span class="muted small">
            {baseMissing ? "Choose what to start from. " : ""}
            {rewardMissing ? `${config.stage.toUpperCase()} needs a reward model. ` : ""}
            {Object.keys(errors).length ? "Fix the marked settings." : ""}
          </span>
        )}
      </div>
    </form>
  );
}

function ConfigInput({ field, value, error, onChange }: { field: ConfigField; value: string | boolean | undefined; error?: string; onChange: (v: string | boolean) => void }) {
  const edited = isEdited(field, value);
  const id = `cfg-${field.name}`;
  const label = (
    <span class="cfg-label">
      {human(field.name)}
      {edited && <span class="edited-dot" title={`changed from the default ${field.default === null ? "(none)" : String(field.default)}`} />}
    </span>
  );
  if (field.type === "boolean") {
    return (
      <label class="field cfg-field cfg-bool" title={field.help}>
        {label}
        <span class="check">
          <input type="checkbox" id={id} checked={Boolean(value)} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />
          {field.help}
        </span>
      </label>
    );
  }
  return (
    <label class={`field cfg-field${error ? " has-error" : ""}`} for={id}>
      {label}
      {field.choices ? (
        <select id={id} value={String(value ?? "")} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}>
          {field.nullable ? <option value="">default</option> : null}
          {field.choices.map((choice) => <option key={choice} value={choice}>{choice}</option>)}
        </select>
      ) : (
        <input
          id={id}
          inputMode={field.type === "string" || field.type === "string_list" ? "text" : "decimal"}
          value={String(value ?? "")}
          placeholder={field.nullable ? "none" : String(field.default ?? "")}
          onInput={(e) => onChange((e.currentTarget as HTMLInputElement).value)}
          data-testid={id}
        />
      )}
      {error ? <em class="field-error">{error}</em> : <em class="cfg-help">{field.help}{field.constraint ? ` (${field.constraint})` : ""}</em>}
    </label>
  );
}

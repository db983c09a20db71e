import { baseKinds, fieldGroups, isEdited } from "../../logic/runForm";
import type { ConfigField, Snapshot } from "../../types";
import { ConfigInput } from "./runForm/ConfigInput";
import { BaseField, JudgeModeField, RewardFields, SnapshotField, StagePicker } from "./runForm/RunFormFields";
import { type RunFormProps, type RunFormState, useRunForm } from "./runForm/useRunForm";

export type { FormSeed } from "./runForm/useRunForm";

/** Start any stage: base (checkpoint or model), the reward model of PPO, GRPO or RLOO, snapshot, and the stage's settings. */
export function RunForm(props: RunFormProps & { snapshots: Snapshot[] }) {
  const { stages, checkpoints, snapshots } = props;
  const form = useRunForm(props);
  const { config } = form;
  if (!config) return null;
  return (
    <form class="run-form" onSubmit={form.submit} data-testid="run-form">
      <StagePicker stages={stages} form={form} />
      <p class="stage-description muted">{config.description}</p>
      <div class="form-grid two">
        <BaseField config={config} bases={checkpoints.filter((c) => baseKinds(config, form.values).includes(c.kind))} form={form} />
        {config.stage === "judge" && <JudgeModeField checkpoints={checkpoints} error={form.serverErrors.mode} form={form} />}
        {config.needs_reward_checkpoint && <RewardFields rewards={checkpoints.filter((c) => c.kind === "reward")} form={form} />}
        {config.snapshot_format && <SnapshotField config={config} snapshots={snapshots} form={form} />}
      </div>
      <Settings form={form} />
      {form.formError && <div class="error-box" role="alert" data-testid="run-form-error">{form.formError}</div>}
      {(form.choices.force || /needs more data/.test(form.formError)) && (
        <label class="check" data-testid="run-force">
          <input type="checkbox" checked={form.choices.force} onChange={(event) => form.setForce((event.currentTarget as HTMLInputElement).checked)} />
          Train anyway on too little data (the run will carry a warning)
        </label>
      )}
      <FormActions form={form} />
    </form>
  );
}

/** The stage's settings: the main ones, the rest folded (open when one of them is changed). */
function Settings({ form }: { form: RunFormState }) {
  const { config, values } = form;
  const errors = { ...form.errors, ...form.serverErrors };
  const { main, more } = fieldGroups(config.fields);
  const editedMore = more.filter((f) => isEdited(f, values[f.name]) || errors[f.name]).length;
  const input = (field: ConfigField) => (
    <ConfigInput key={field.name} field={field} value={values[field.name]} error={errors[field.name]} onChange={(v) => form.setValues({ ...values, [field.name]: v })} />
  );
  return (
    <fieldset class="hyper">
      <legend>Settings <span class="muted">defaults for {config.stage}; changed ones are marked</span></legend>
      <div class="form-grid">{main.map(input)}</div>
      {more.length > 0 && (
        <details class="more-settings" open={editedMore > 0}>
          <summary>More settings{editedMore ? ` (${editedMore} changed)` : ""}</summary>
          <div class="form-grid">{more.map(input)}</div>
        </details>
      )}
    </fieldset>
  );
}

function FormActions({ form }: { form: RunFormState }) {
  const { config, missing, blocked } = form;
  return (
    <div class="form-actions">
      <button class="btn btn-primary" type="submit" disabled={blocked || form.sending} data-testid="run-start">
        {form.sending ? "Queuing…" : `Start ${config.stage} run`}
      </button>
      {blocked && (
        <span class="muted small">
          {missing.base ? "Choose what to start from. " : ""}
          {missing.reward ? `${config.stage.toUpperCase()} needs a reward model. ` : ""}
          {Object.keys(form.errors).length ? "Fix the marked settings." : ""}
        </span>
      )}
    </div>
  );
}

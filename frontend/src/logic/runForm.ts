// The training-run form: per-stage defaults from GET /api/training-configs/, parsing and the same
// per-field checks the server applies, and which runs a checkpoint can seed. Pure.

import type { ApiErrorBody, Checkpoint, ConfigField, ConfigValue, Stage, StageConfig, TrainingRun, TrainingRunCreate } from "../types";

/** What the inputs hold: text for numbers and strings (empty = null), a flag for booleans. */
export type FormValues = Record<string, string | boolean>;

/** A config value as the field's input holds it. */
function inputValue(field: ConfigField, value: ConfigValue): string | boolean {
  if (field.type === "boolean") return Boolean(value);
  if (Array.isArray(value)) return value.join(", ");
  return value === null ? "" : String(value);
}

export function defaultValue(field: ConfigField): string | boolean {
  return inputValue(field, field.default);
}

export function defaultValues(fields: ConfigField[]): FormValues {
  return Object.fromEntries(fields.map((field) => [field.name, defaultValue(field)]));
}

export function isEdited(field: ConfigField, value: string | boolean | undefined): boolean {
  if (value === undefined) return false;
  if (field.type === "boolean" || typeof value === "boolean") return value !== defaultValue(field);
  const parsed = parseField(field, value);
  return parsed.error !== undefined || JSON.stringify(parsed.value) !== JSON.stringify(field.default);
}

export type Parsed = { value: ConfigValue; error?: undefined } | { value?: undefined; error: string };

/** A decimal number as people type it: "-2", "0.5", ".5", "3e-5". */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** One input's value as the config wants it, or why it cannot be. */
export function parseField(field: ConfigField, raw: string | boolean): Parsed {
  if (field.type === "boolean") return { value: Boolean(raw) };
  const text = String(raw).trim();
  if (field.type === "string_list") return parseList(text);
  if (text === "" && field.type === "string" && field.default === "") return { value: "" }; // empty means off (the judge's endpoint_model)
  if (text === "") return field.nullable ? { value: null } : { error: "required" };
  if (field.type === "string") {
    if (field.choices && !field.choices.includes(text)) return { error: `one of ${field.choices.join(", ")}` };
    return { value: text };
  }
  // Decimal only: Number() also reads "0x10" (16), "0b1" and "0o7", which nobody means as a rate.
  const number = DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(number)) return { error: field.type === "integer" ? "a whole number" : "a number" };
  if (field.type === "integer" && !Number.isInteger(number)) return { error: "a whole number" };
  const bound = outOfBounds(field, number);
  return bound ? { error: bound } : { value: number };
}

/** "overall, harmless" → ["overall", "harmless"]; empty → []. */
function parseList(text: string): Parsed {
  const names = text.split(",").map((name) => name.trim()).filter((name) => name !== "");
  if (new Set(names).size !== names.length) return { error: "each name once" };
  return { value: names };
}

function outOfBounds(field: ConfigField, n: number): string | null {
  if (field.exclusive_minimum !== undefined && !(n > field.exclusive_minimum)) return `must be > ${field.exclusive_minimum}`;
  if (field.minimum !== undefined && !(n >= field.minimum)) return `must be ≥ ${field.minimum}`;
  if (field.exclusive_maximum !== undefined && !(n < field.exclusive_maximum)) return `must be < ${field.exclusive_maximum}`;
  if (field.maximum !== undefined && !(n <= field.maximum)) return `must be ≤ ${field.maximum}`;
  return null;
}

/** The config to send and, by field name, what is wrong; send only when `errors` is empty. */
export function parseConfig(
  fields: ConfigField[],
  values: FormValues,
): { config: Record<string, ConfigValue>; errors: Record<string, string> } {
  const config: Record<string, ConfigValue> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const parsed = parseField(field, values[field.name] ?? defaultValue(field));
    if (parsed.error !== undefined) errors[field.name] = parsed.error;
    else config[field.name] = parsed.value;
  }
  return { config, errors };
}

/**
 * The values for a newly chosen stage: its own defaults (learning rates differ a lot between
 * stages), except fields the user had changed that the new stage also has.
 */
export function switchStage(previous: ConfigField[], values: FormValues, next: ConfigField[]): FormValues {
  const edited = new Set(previous.filter((field) => isEdited(field, values[field.name])).map((f) => f.name));
  const out = defaultValues(next);
  for (const field of next) if (edited.has(field.name)) out[field.name] = values[field.name];
  return out;
}

/**
 * A 400 that names a config field (`field` "config.max_steps"; a serializer's path may go on,
 * "config.criteria[0]") → the form's field and the message, without its "config: RewardConfig.max_steps "
 * prefix; null for any other error (shown above the button).
 */
export function serverFieldError(body: ApiErrorBody): { field: string; message: string } | null {
  const named = typeof body.field === "string" ? body.field.match(/^config\.(\w+)/) : null;
  if (!named) return null;
  const detail = body.detail ?? "";
  const prefix = detail.match(/^config: (?:\w+Config\.(\w+) )?(.*)$/s);
  const message = prefix && (prefix[1] === undefined || prefix[1] === named[1]) ? prefix[2] : detail;
  return { field: named[1], message };
}

/** The server's errors that still stand: those on fields changed since the run was sent are dropped. */
export function standingErrors(server: Record<string, string>, sent: FormValues, now: FormValues): Record<string, string> {
  return Object.fromEntries(Object.entries(server).filter(([name]) => sent[name] === now[name]));
}

/** The criterion online RL scores on with reward checkpoint `id`: its first, if it judges per criterion. */
export function defaultRewardCriterion(checkpoints: Checkpoint[], id: number | null): string {
  return checkpoints.find((c) => c.id === id)?.criteria[0] ?? "";
}

/** What the form starts from when a checkpoint, the address or a finished run seeds it. */
export interface FormSeed {
  stage: Stage;
  base_checkpoint: number | null;
  reward_checkpoint: number | null;
  /** "Run again with these settings": the run, and what it ran on besides its checkpoints. */
  rerun?: { run: number; status: string; base_model: string; snapshot: number | null; config: Record<string, ConfigValue>; force: boolean };
}

/** The form filled as `run` was started: its stage, base (its checkpoint, else its model path),
 * reward model, snapshot and settings. Nothing is sent until the admin starts it. */
export function rerunSeed(run: TrainingRun): FormSeed {
  return {
    stage: run.stage,
    base_checkpoint: run.base_checkpoint,
    reward_checkpoint: run.reward_checkpoint,
    rerun: {
      run: run.id, status: run.status, base_model: run.base_checkpoint === null ? run.base_model : "",
      snapshot: run.snapshot, config: run.config, force: run.force,
    },
  };
}

/** The inputs of a stage's fields holding `config`'s values; a field it lacks keeps its default. */
export function seededValues(fields: ConfigField[], config: Record<string, ConfigValue>): FormValues {
  return Object.fromEntries(fields.map((f) => [f.name, f.name in config ? inputValue(f, config[f.name]) : defaultValue(f)]));
}

/** The settings of `config` the stage no longer has (renamed or removed since): said, not dropped silently. */
export function unknownSettings(fields: ConfigField[], config: Record<string, ConfigValue>): string[] {
  const known = new Set(fields.map((f) => f.name));
  return Object.keys(config).filter((name) => !known.has(name));
}

export interface RunSeed {
  stage: Stage;
  base_checkpoint: number | null;
  reward_checkpoint: number | null;
  label: string;
}

// After a reward model the next step is RL against it; after a policy, look at what it writes.
// Either can also judge the project's comparisons beside the people, and a policy can sample
// best-of-N against a reward model (issue #18).
const NEXT_STAGES: Record<string, Stage[]> = {
  reward: ["ppo", "grpo", "rloo", "reward", "judge"],
  policy: ["generate", "dpo", "kto", "ppo", "grpo", "rloo", "sft", "reward", "judge", "best_of_n"],
};
const SEED_LABELS: Partial<Record<Stage, string>> = {
  generate: "Generate responses",
  judge: "Judge the comparisons",
  best_of_n: "Best-of-N samples into a snapshot",
};

/** The runs `checkpoint` can start: as the base of a stage, or as the reward model of online RL (PPO, GRPO, RLOO). */
export function seedsFor(checkpoint: Checkpoint, stages: StageConfig[]): RunSeed[] {
  const seeds: RunSeed[] = [];
  for (const stage of NEXT_STAGES[checkpoint.kind] ?? []) {
    const config = stages.find((s) => s.stage === stage);
    if (!config) continue;
    if (checkpoint.kind === "reward" && config.needs_reward_checkpoint) {
      seeds.push({ stage, base_checkpoint: null, reward_checkpoint: checkpoint.id, label: `${stage.toUpperCase()} with this reward model` });
    } else if (config.base_kinds.includes(checkpoint.kind)) {
      const label = SEED_LABELS[stage] ?? (stage === checkpoint.kind ? "Retrain from it" : `${stage.toUpperCase()} from it`);
      seeds.push({ stage, base_checkpoint: checkpoint.id, reward_checkpoint: null, label });
    }
  }
  return seeds;
}

/**
 * The checkpoint a new run of a stage starts from unless the admin chooses another: the newest
 * (ties by id) of the first of the stage's kinds, in its order of preference, that the project
 * has: a reward run starts from the newest reward model, a policy only where there is none (it
 * defaulted to a newer DPO policy, whose reward head then started from random); null when none.
 */
export function newestBase(checkpoints: Checkpoint[], kinds: string[]): Checkpoint | null {
  for (const kind of kinds) {
    let newest: Checkpoint | null = null;
    for (const checkpoint of checkpoints) {
      if (checkpoint.kind !== kind) continue;
      const later = newest === null || checkpoint.created_at > newest.created_at || (checkpoint.created_at === newest.created_at && checkpoint.id > newest.id);
      if (later) newest = checkpoint;
    }
    if (newest) return newest;
  }
  return null;
}

// Shown first; the rest fold under "More settings".
const MAIN_FIELDS = ["learning_rate", "batch_size", "epochs", "max_steps", "beta", "num_samples", "max_new_tokens", "temperature"];

// Fields the form shows beside what they qualify rather than among the settings: the criterion
// beside a reward model that judges per criterion, the judge's mode beside the judge's base.
const PLACED_FIELDS = ["reward_criterion", "mode"];

/** A stage's fields as the form lays them out: the main ones, and the rest under "More settings";
 * PLACED_FIELDS are in neither. */
export function fieldGroups(fields: ConfigField[]): { main: ConfigField[]; more: ConfigField[] } {
  const shown = fields.filter((f) => !PLACED_FIELDS.includes(f.name));
  return {
    main: shown.filter((f) => MAIN_FIELDS.includes(f.name)),
    more: shown.filter((f) => !MAIN_FIELDS.includes(f.name)),
  };
}

/** The judge stage's modes (JudgeConfig.mode): verdicts, or Constitutional AI's critique and revision. */
export type JudgeMode = "judge" | "revise";

/** The judge's mode in the form's values ("judge" until chosen). */
export function judgeMode(values: FormValues): JudgeMode {
  return values.mode === "revise" ? "revise" : "judge";
}

/** The checkpoint kinds a run of `config` may start from with these settings: a revising judge
 * writes with a causal LM, so only a policy. */
export function baseKinds(config: StageConfig, values: FormValues): string[] {
  if (config.stage === "judge" && judgeMode(values) === "revise") return config.base_kinds.filter((k) => k === "policy");
  return config.base_kinds;
}

/** "learning_rate" → "Learning rate". */
export function fieldLabel(name: string): string {
  const text = name.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What the admin chose besides the stage's settings. */
export interface RunChoices {
  stage: Stage;
  baseMode: "checkpoint" | "model";
  baseModel: string;
  baseCheckpoint: number | null;
  rewardCheckpoint: number | null;
  snapshot: number | null;
  force: boolean;
}

/** What stops the run from starting, besides settings errors. */
export function missingChoices(config: StageConfig, choices: RunChoices): { base: boolean; reward: boolean } {
  return {
    base: choices.baseMode === "model" ? !choices.baseModel.trim() : choices.baseCheckpoint === null,
    reward: config.needs_reward_checkpoint && choices.rewardCheckpoint === null,
  };
}

/** The POST /api/training-runs/ body: only what the stage takes is sent. */
export function runRequest(
  project: number,
  config: StageConfig,
  choices: RunChoices,
  settings: Record<string, ConfigValue>,
): TrainingRunCreate {
  return {
    project,
    stage: choices.stage,
    base_model: choices.baseMode === "model" ? choices.baseModel.trim() : "",
    base_checkpoint: choices.baseMode === "checkpoint" ? choices.baseCheckpoint : null,
    reward_checkpoint: config.needs_reward_checkpoint ? choices.rewardCheckpoint : null,
    snapshot: config.snapshot_format ? choices.snapshot : null,
    config: settings,
    force: choices.force,
  };
}

// Training runs, their stages' configs, metrics and checkpoints (training/api.py, training/api_configs.py).

import type { ExportFormat } from "./exports";

export type Stage = "reward" | "sft" | "dpo" | "kto" | "ppo" | "grpo" | "rloo" | "generate" | "judge" | "best_of_n";
export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";
export type ConfigValue = number | string | boolean | string[] | null;

/** One field of GET /api/training-configs/ (training/api_configs.py). */
export interface ConfigField {
  name: string;
  /** string_list: names, typed comma-separated (e.g. a reward model's criteria). */
  type: "float" | "integer" | "boolean" | "string" | "string_list";
  nullable: boolean;
  default: ConfigValue;
  help: string;
  /** The range rule in words, e.g. "> 0". */
  constraint: string;
  minimum?: number;
  exclusive_minimum?: number;
  maximum?: number;
  exclusive_maximum?: number;
  choices?: string[];
}

export interface StageConfig {
  stage: Stage;
  label: string;
  description: string;
  /** Export format of the snapshot it trains on; null if it reads none. */
  snapshot_format: ExportFormat | null;
  /** Checkpoint kinds it can start from. */
  base_kinds: CheckpointKind[];
  needs_reward_checkpoint: boolean;
  produces: CheckpointKind | "responses" | "judgments" | "snapshot";
  fields: ConfigField[];
}

/** GET /api/training-runs/ and /api/training-runs/{id}/ */
export interface TrainingRun {
  id: number;
  project: number;
  stage: Stage;
  status: RunStatus;
  base_model: string;
  base_checkpoint: number | null;
  reward_checkpoint: number | null;
  snapshot: number | null;
  config: Record<string, ConfigValue>;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  heartbeat_at: string | null;
  dispatched_at: string | null;
  worker: string;
  progress_step: number;
  progress_total: number;
  cancel_requested: boolean;
  /** Claims so far: a run whose worker died is re-queued and resumes (1 = never re-queued). */
  attempts: number;
  /** The saved step the latest attempt resumed from; null when it started at step 0. */
  resumed_from_step: number | null;
  /** Started on fewer examples than the minimum. */
  force: boolean;
  /** Why the result must not be read as a plain success (too little data, chance-level score). */
  warnings: string[];
  error: string;
  log_tail: string;
  result: Record<string, unknown>;
  /** The create's idempotency key; "" when none was sent. */
  client_key: string;
}

/** POST /api/training-runs/ */
export interface TrainingRunCreate {
  project: number;
  stage: Stage;
  base_model: string;
  base_checkpoint: number | null;
  reward_checkpoint: number | null;
  snapshot: number | null;
  config: Record<string, ConfigValue>;
  /** Train even on fewer examples than the minimum (the server refuses otherwise). */
  force?: boolean;
  /** Idempotency key: a retry of the same request with it gets the first run back (200). */
  client_key?: string;
}

/** GET /api/training-runs/{id}/metrics/?after=STEP */
export interface RunMetric {
  step: number;
  values: Record<string, number>;
  created_at: string;
}

export type CheckpointKind = "policy" | "reward";

/** GET /api/checkpoints/?project=ID */
export interface Checkpoint {
  id: number;
  project: number;
  run: number | null;
  name: string;
  kind: CheckpointKind;
  path: string;
  metrics: Record<string, unknown>;
  /** A reward model trained per criterion: the criteria it judges; online RL scores on one. */
  criteria: string[];
  created_at: string;
}


/** A response a run sampled at one logging step (GET /api/training-runs/{id}/samples/). The
 * prompt and response are model output and user data: render them as text only. */
export interface RunSample {
  step: number;
  index: number;
  prompt: string;
  response: string;
  /** The reward's score; null where nothing scored it (SFT, DPO). */
  score: number | null;
  /** Cut at max_new_tokens before it ended; null where not known. */
  truncated: boolean | null;
}

export interface RunSamples {
  /** Steps that have samples, oldest first. */
  steps: number[];
  /** The step shown; null when the run has none. */
  step: number | null;
  samples: RunSample[];
}

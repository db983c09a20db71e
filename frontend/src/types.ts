// Mirrors the JSON the Django API returns (labeling/api/*). Names match the API field for field.

export type TaskType = "pairwise" | "ranking";
export type Role = "admin" | "annotator";

/** GET /api/projects/ and /api/projects/{id}/ */
export interface Project {
  id: number;
  slug: string;
  name: string;
  /** Markdown shown to annotators. */
  guidelines: string;
  task_type: TaskType;
  /** K: responses shown together (2 for pairwise). */
  responses_per_comparison: number;
  overlap: number;
  allow_ties: boolean;
  /** Labels for how much better the winner is, weakest first; empty for none. */
  strength_scale: string[];
  /** Extra per-criterion judgments, e.g. ["helpful", "harmless"]. */
  criteria: string[];
  lease_minutes?: number;
  gold_rate?: number;
  collect_demonstrations: boolean;
  created_at?: string;
  role: Role | null;
}

/** A response's position inside a comparison: "a" is the first as presented, "b" the second... */
export type Letter = string;

export interface Message {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface TaskPrompt {
  id: number;
  messages: Message[];
}

export interface TaskResponse {
  letter: Letter;
  text: string;
}

/** GET /api/projects/{id}/next-task/ (200) and POST /api/judgments/{id}/undo/. Blind: no model names. */
export interface Task {
  /** The comparison id. */
  id: number;
  project: number;
  prompt: TaskPrompt;
  responses: TaskResponse[];
  lease_expires_at: string;
}

export type PairwiseWinner = "a" | "b" | "tie";

export interface PairwiseResult {
  winner: PairwiseWinner;
  /** 1..len(strength_scale); null for a tie or when the project has no scale. */
  strength: number | null;
}

export interface RankingResult {
  /** Every letter, best first. */
  ranking: Letter[];
}

/** POST /api/judgments/ */
export interface JudgmentCreate {
  comparison: number;
  winner?: PairwiseWinner;
  strength?: number | null;
  ranking?: Letter[];
  criteria: Record<string, PairwiseResult | RankingResult>;
  rationale: string;
  time_spent_ms: number;
  client_key: string;
}

/** 201 (or 200 on a retry with the same client_key) from POST /api/judgments/ */
export interface Judgment {
  id: number;
  comparison: number;
  editable_until: string;
  [field: string]: unknown;
}

export type FlagReason = "unsafe" | "both_bad" | "broken_prompt" | "other";
export type SkipReason = "" | FlagReason;

/** POST /api/comparisons/{id}/skip/ and /flag/ */
export interface SkipOrFlag {
  reason: SkipReason;
  note: string;
}

/** POST /api/demonstrations/ */
export interface DemonstrationCreate {
  prompt: number;
  text: string;
  client_key: string;
  time_spent_ms: number;
}

/** GET /api/projects/{id}/progress/ */
export interface Progress {
  done_today: number;
  done_total: number;
  remaining: number;
  /** True when `remaining` is a lower bound (the server stops counting at a cap). */
  remaining_capped?: boolean;
}

/** Every 4xx body: {"detail": "...", "code": "..."} (plus field errors on 400). */
export interface ApiErrorBody {
  detail?: string;
  code?: string;
  [field: string]: unknown;
}

/** Written by labeling/pages.py into index.html as <script id="session" type="application/json">. */
export interface SessionInfo {
  username: string;
  is_staff: boolean;
}

// --- admin dashboard ------------------------------------------------------------------------

/** GET /api/projects/{id}/overview/ (labeling/api/dashboard.py) */
export interface Overview {
  project: number;
  generated_at: string;
  comparisons: {
    /** Regular (non-gold) comparisons. */
    total: number;
    /** With at least `overlap` judgments. */
    complete: number;
    /** With some judgments, fewer than `overlap`. */
    partial: number;
    gold: number;
    overlap: number;
  };
  judgments: {
    total: number;
    ties: number;
    last_24h: number;
    annotators_24h: number;
    /** The last 24 clock hours (UTC), oldest first; the last is the current hour. */
    per_hour: { hour: string; count: number }[];
  };
  leases: { in_flight: number; annotators_in_flight: number; skipped: number };
  flags: { total: number; open: number; by_reason: Record<string, number> };
  rates: { tie: number | null; skip: number | null; flag: number | null };
  flagged: FlaggedItem[];
}

export interface FlaggedItem {
  id: number;
  comparison: number;
  reason: FlagReason;
  /** The annotator's words: plain text, shown escaped. */
  note: string;
  annotator: string;
  created_at: string;
  /** The prompt's last turn, shortened; plain text, shown escaped. */
  prompt_excerpt: string;
}

/** POST /api/flags/{id}/resolve/ */
export interface ResolvedFlag {
  id: number;
  project: number;
  comparison: number;
  reason: FlagReason;
  note: string;
  resolved: boolean;
  resolved_by: string | null;
  resolved_at: string | null;
  created_at: string;
}

/** GET /api/projects/{id}/members/ */
export interface Member {
  username: string;
  role: Role;
  created_at?: string;
}

/** GET/POST /api/projects/{id}/imports/ */
export interface DataImport {
  id: number;
  format: string;
  file_name: string;
  file_sha256: string;
  with_labels: boolean;
  /** lines, prompts, responses, comparisons, judgments added. */
  counts: Record<string, number>;
  skipped: { line: number; reason: string }[];
  created_at: string;
}

export type ExportFormat = "trl" | "hh-rlhf" | "kto" | "sft" | "raw";
export type Aggregation = "majority" | "mean-strength" | "dawid-skene" | "none";
export type PairsMode = "all" | "best-vs-rest";
export type FileType = "jsonl" | "parquet" | "csv";

/** The export filters (labeling/api/exports.py ExportFiltersSerializer). */
export interface ExportFilters {
  min_agreement?: number;
  min_judgments?: number;
  exclude_ties?: boolean;
  exclude_gold?: boolean;
  /** User ids. */
  exclude_annotators?: number[];
  created_after?: string;
  created_before?: string;
  models?: string[];
}

/** pending (stored, waiting for a worker) -> running (being written) -> ready | failed. */
export type SnapshotStatus = "pending" | "running" | "ready" | "failed";

/** The export options a snapshot was written with. */
export interface SnapshotOptions {
  pairs: PairsMode;
  conversational: boolean;
  include_winners: boolean;
  file: "jsonl" | "parquet";
}

/** GET /api/projects/{id}/snapshots/ and /api/snapshots/{id}/; POST answers 202 with a pending one. */
export interface Snapshot {
  id: number;
  project: number;
  format: ExportFormat;
  aggregation: Aggregation;
  options: SnapshotOptions;
  filters: ExportFilters;
  split_seed: number;
  validation_fraction: number;
  status: SnapshotStatus;
  /** Why it failed; empty otherwise. */
  error: string;
  /** Empty until ready. */
  sha256: string;
  /** {"train": n, "validation": m}; empty until ready. */
  row_counts: Record<string, number>;
  path: string;
  created_by: string | null;
  created_at: string;
  /** When a worker began writing it: the rows are those in the database then. */
  started_at: string | null;
  finished_at: string | null;
}

/** POST /api/projects/{id}/snapshots/ */
export interface SnapshotCreate {
  format: ExportFormat;
  aggregation: Aggregation;
  pairs: PairsMode;
  conversational: boolean;
  include_winners: boolean;
  file: "jsonl" | "parquet";
  split_seed: number;
  validation_fraction: number;
  filters?: ExportFilters;
}

export type Stage = "reward" | "sft" | "dpo" | "kto" | "ppo" | "grpo" | "rloo" | "generate";
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
  produces: CheckpointKind | "responses";
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

/** Agreement among annotators (labeling/services/stats.py `_agreement`); a null figure has a reason. */
export interface AgreementBlock {
  /** "comparison", or "implied pair" for rankings. */
  unit: string;
  /** Units rated by two or more annotators. */
  n_units: number;
  n_raters: number;
  n_ratings: number;
  krippendorff_alpha: number | null;
  /** 95 % bootstrap interval for alpha. */
  krippendorff_alpha_ci: [number, number] | null;
  fleiss_kappa: number | null;
  cohen_kappa_mean: number | null;
  percent_agreement: number | null;
  krippendorff_alpha_ordinal?: number | null;
  krippendorff_alpha_interval?: number | null;
  /** Why nothing could be computed, when nothing could. */
  reason: string | null;
  /** Why each null figure is null. */
  reasons: Record<string, string>;
  /** Per criterion, the same block. */
  criteria?: Record<string, AgreementBlock>;
}

/** One annotator's quality figures (labeling/annotator_quality.py annotator_report). */
export interface AnnotatorQuality {
  /** User id. */
  annotator: number;
  username: string;
  /** Rows: judgments plus skips. */
  n: number;
  /** Share agreeing with the leave-one-out majority. */
  agreement: number | null;
  n_agreement: number;
  gold_accuracy: number | null;
  n_gold: number;
  median_seconds: number | null;
  tie_rate: number | null;
  skip_rate: number | null;
  flag_rate: number | null;
  e_value: number;
  /** Credibly worse than the crowd (sequential test). */
  outlier: boolean;
  /** Share of timed judgments given faster than their responses can be skimmed (60 characters/s). */
  fast_rate: number | null;
  fastest_seconds: number | null;
  /** At least a quarter of 10 or more timed judgments implausibly fast. */
  too_fast: boolean;
}

export interface RatingRow {
  model: string;
  rating: number;
  ci_low: number | null;
  ci_high: number | null;
  rank: number;
  n: number;
}

export interface Ratings {
  /** Pairs of different models rated. */
  n: number;
  /** Pairs left out: one model against itself, and pairs naming no model (no response has a name). */
  excluded?: { same_model: number; no_model: number };
  scale?: string;
  /** The published leaderboard: Bradley–Terry with bootstrap intervals, best first. */
  bradley_terry: RatingRow[];
  /** Online Elo, in judgment order (no interval). */
  elo: RatingRow[];
  strength_weighted?: RatingRow[] | null;
  length_controlled: { rows: { model: string; rating: number; n: number }[]; length_coef: number | null };
  /** matrix[i][j]: share of points models[i] scored against models[j]; null where they never met. */
  win_rate: { models: string[]; matrix: (number | null)[][] };
  reason: string | null;
}

/** GET /api/projects/{id}/stats/ (labeling/services/stats.py project_stats_compute). */
export interface ProjectStats {
  project: number;
  task_type?: TaskType;
  computed_at: string;
  judgments: number;
  counts: {
    comparisons: number;
    gold_comparisons: number;
    judgments: number;
    judged_comparisons: number;
    complete_comparisons: number;
    ties: number;
    skips: number;
    flags: number;
    annotators: number;
    imported_judgments: number;
  };
  agreement: AgreementBlock;
  annotators: AnnotatorQuality[];
  ratings: Ratings;
  /** Judgments changed since; a refresh is on its way. */
  stale?: boolean;
}

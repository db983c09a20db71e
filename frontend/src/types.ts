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

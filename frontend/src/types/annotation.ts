// The annotation screen's wire shapes (labeling/annotation/api.py): the comparison an annotator
// is leased, the judgment given on it, skips, flags, demonstrations and progress.

/** A response position: its letter in the comparison as shown, "a" first, "b" second... */
export type Letter = string;

export interface Message {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ComparisonPrompt {
  id: number;
  messages: Message[];
}

export interface ComparisonResponse {
  letter: Letter;
  text: string;
}

/** GET /api/projects/{id}/next-task/ (200), POST /api/judgments/{id}/undo/ and
 * /api/comparisons/{id}/unskip/: one leased comparison. Blind: no model names. */
export interface Comparison {
  id: number;
  project: number;
  prompt: ComparisonPrompt;
  /** In the order shown. */
  responses: ComparisonResponse[];
  /** When the lease ends; null only for a comparison not leased. */
  lease_expires_at: string | null;
}

/** A pairwise verdict: the better position, or a tie. */
export type PairwiseWinner = "a" | "b" | "tie";

export interface PairwiseVerdict {
  winner: PairwiseWinner;
  /** 1..len(strength_scale); null for a tie or when the project has no scale. */
  strength: number | null;
}

export interface RankingVerdict {
  /** Every position, best first. */
  ranking: Letter[];
  /** The groups of positions ranked equal (runs of `ranking`), where the project allows ties;
   * absent when none. */
  ranking_ties?: Letter[][];
}

/** A judgment's verdict per criterion (`criteria` in the API), keyed by criterion name. */
export type CriterionVerdicts = Record<string, PairwiseVerdict | RankingVerdict>;

/** POST /api/judgments/ */
export interface JudgmentCreate {
  comparison: number;
  winner?: PairwiseWinner;
  strength?: number | null;
  ranking?: Letter[];
  /** Ranking: the groups of positions ranked equal (runs of `ranking`), where the project allows ties. */
  ranking_ties?: Letter[][];
  criteria: CriterionVerdicts;
  rationale: string;
  time_spent_ms: number;
  client_key: string;
}

/** 201 (or 200 on a retry with the same client_key) from POST /api/judgments/, and the rows of
 * GET /api/judgments/ (labeling/annotation/api.py `_judgment_out`). */
export interface Judgment {
  id: number;
  comparison: number;
  /** The annotator's username. */
  annotator: string;
  /** Made by a judge (a model labelling comparisons), not a person; false on a submit. */
  by_judge: boolean;
  /** Pairwise: "a", "b" or "tie"; ranking: "" (blank). */
  winner: PairwiseWinner | "";
  /** Pairwise only, and null for a tie or a project without a strength scale. */
  strength: number | null;
  /** Ranking: every position, best first; null for pairwise. */
  ranking: Letter[] | null;
  /** Ranking: the groups of positions ranked equal ([] when none); null for pairwise. */
  ranking_ties: Letter[][] | null;
  criteria: CriterionVerdicts;
  rationale: string;
  time_spent_ms: number;
  client_key: string;
  created_at: string;
  /** Undo (and editing) is allowed until then. */
  /** Null for one that can never be undone (imported, a judge's, reviewed). */
  editable_until: string | null;
}

/** GET /api/judgments/?project=ID (limit/offset pages). */
export interface JudgmentPage {
  count: number;
  next: string | null;
  previous: string | null;
  results: Judgment[];
}

export type FlagReason = "unsafe" | "both_bad" | "broken_prompt" | "other";
export type SkipReason = "" | FlagReason;

/** POST /api/comparisons/{id}/skip/ and /flag/ */
export interface SkipOrFlag {
  reason: SkipReason;
  note: string;
}

/** 200 from POST /api/comparisons/{id}/skip/ */
export interface Skipped {
  skipped: boolean;
}

/** 201 (200 when it already stood) from POST /api/comparisons/{id}/flag/; GET /api/projects/{id}/flags/ */
export interface Flag {
  id: number;
  comparison: number;
  /** The flagging annotator's username. */
  annotator: string;
  reason: FlagReason;
  note: string;
  resolved: boolean;
  created_at: string;
}

/** POST /api/demonstrations/ */
export interface DemonstrationCreate {
  prompt: number;
  text: string;
  client_key: string;
  time_spent_ms: number;
}

/** 201 from POST /api/demonstrations/ */
export interface Demonstration {
  id: number;
  prompt: number;
  text: string;
  client_key: string;
  time_spent_ms: number;
  created_at: string;
}

/** GET /api/projects/{id}/progress/ */
export interface Progress {
  done_today: number;
  done_total: number;
  remaining: number;
  /** True when `remaining` is a lower bound (the server stops counting at a cap). */
  remaining_capped: boolean;
}

// Review's wire shapes (labeling/review/api.py, shapes.py): the queue a reviewer works, a decision
// on one judgment, and an annotator's own rejected judgments with the reviewers' notes.

import type { ComparisonPrompt, ComparisonResponse, CriterionVerdicts, Letter, PairwiseWinner } from "./annotation";

export type ReviewState = "" | "accepted" | "rejected";
/** The queue's `state` filter: what is not reviewed yet (the default), one review, or all. */
export type ReviewStateFilter = "unreviewed" | "accepted" | "rejected" | "all";

/** The comparison as its annotator saw it: blind, responses by position. */
export interface ShownComparison {
  id: number;
  prompt: ComparisonPrompt;
  responses: ComparisonResponse[];
}

export interface ReviewedComparison extends ShownComparison {
  is_gold: boolean;
  /** {"winner": "a"} or {"ranking": [...]}; null unless gold. */
  gold_answer: { winner?: PairwiseWinner; ranking?: Letter[] } | null;
}

/** A judgment as reviewers and admins see it (labeling/review/shapes.py ReviewedJudgmentOut). */
export interface ReviewedJudgment {
  id: number;
  annotator: string;
  /** A judge's judgment (a model labelling comparisons), not a person's. */
  by_judge: boolean;
  winner: PairwiseWinner | "";
  strength: number | null;
  ranking: Letter[] | null;
  /** Ranking: the groups of positions ranked equal ([] when none); null for pairwise. */
  ranking_ties: Letter[][] | null;
  criteria: CriterionVerdicts;
  rationale: string;
  time_spent_ms: number;
  created_at: string;
  review: ReviewState;
  review_note: string;
  reviewed_by: string | null;
  reviewed_at: string | null;
}

/** One entry of GET /api/projects/{id}/review/, and POST /api/judgments/{id}/review/'s answer. */
export interface ReviewEntry extends ReviewedJudgment {
  comparison: ReviewedComparison;
  /** Other counted judgments on the comparison, and how many of them gave the same verdict. */
  others: number;
  agreeing: number;
  /** Flags on the comparison. */
  flags: number;
  wrong_on_gold: boolean;
}

export interface ReviewPage {
  count: number;
  next: string | null;
  previous: string | null;
  results: ReviewEntry[];
}

/** POST /api/judgments/{id}/review/ ; a rejection needs a note. */
export interface ReviewDecision {
  review: "accepted" | "rejected";
  note: string;
}

/** One of GET /api/projects/{id}/rejected-judgments/'s results: the caller's own. */
export interface RejectedJudgment {
  id: number;
  comparison: ShownComparison;
  winner: PairwiseWinner | "";
  strength: number | null;
  ranking: Letter[] | null;
  /** Ranking: the groups of positions ranked equal ([] when none); null for pairwise. */
  ranking_ties: Letter[][] | null;
  rationale: string;
  created_at: string;
  review_note: string;
  reviewed_at: string | null;
}

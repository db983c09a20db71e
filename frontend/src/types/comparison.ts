// One comparison whole, for project admins (labeling/comparisons/shapes.py): not blind.

import type { CriterionVerdicts, FlagReason, Letter, Message, PairwiseWinner } from "./annotation";
import type { ReviewState } from "./review";

/** A response at its position, with the model that wrote it. */
export interface NamedResponse {
  letter: Letter;
  /** Model output: untrusted, rendered escaped (components/Markdown). */
  text: string;
  model_name: string;
}

export interface ComparisonJudgment {
  id: number;
  /** The username (a judge's is its user's, e.g. "judge:3:rm-run-3"). */
  annotator: string;
  /** Made by a judge (a model labelling comparisons), not a person. */
  by_judge: boolean;
  /** The judge's name; null for a person's judgment. */
  judge: string | null;
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

export interface ComparisonFlag {
  id: number;
  annotator: string;
  reason: FlagReason;
  note: string;
  resolved: boolean;
  resolved_by: string | null;
  created_at: string;
}

/** GET /api/projects/{id}/comparisons/{cid}/ (project admins). */
export interface ComparisonDetail {
  id: number;
  project: number;
  prompt: { id: number; messages: Message[] };
  responses: NamedResponse[];
  is_gold: boolean;
  gold_answer: { winner?: PairwiseWinner; ranking?: Letter[] } | null;
  is_open: boolean;
  created_at: string;
  judgments: ComparisonJudgment[];
  /** Newest first. */
  flags: ComparisonFlag[];
}

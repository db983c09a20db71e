// One comparison whole, for project admins (labeling/comparisons/shapes.py): not blind.

import type { FlagReason, Letter, Message, PairwiseWinner } from "./annotation";
import type { ReviewedJudgment } from "./review";

/** A response at its position, with the model that wrote it. */
export interface NamedResponse {
  letter: Letter;
  /** Model output: untrusted, rendered escaped (components/Markdown). */
  text: string;
  model_name: string;
}

/** One judgment on the comparison, as the review queue shows it (annotator: a judge's is its
 * user's, e.g. "judge:3:rm-run-3"), and the judge's name (null for a person's judgment). */
export interface ComparisonJudgment extends ReviewedJudgment {
  judge: string | null;
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
/** A gold comparison's answer: the main verdict only. */
export interface GoldAnswer {
  winner?: PairwiseWinner;
  ranking?: Letter[];
}

export interface ComparisonDetail {
  id: number;
  project: number;
  prompt: { id: number; messages: Message[] };
  responses: NamedResponse[];
  is_gold: boolean;
  gold_answer: GoldAnswer | null;
  is_open: boolean;
  created_at: string;
  judgments: ComparisonJudgment[];
  /** Newest first. */
  flags: ComparisonFlag[];
}

/** One comparison in the comparison browser: GET /api/projects/{id}/comparisons/ (project admins). */
export interface ComparisonRow {
  id: number;
  prompt: number;
  /** The start of the prompt's last user turn, one line: untrusted text, shown as JSX text only. */
  prompt_excerpt: string;
  /** The models of its responses, in position order (a, b, ...). */
  model_names: string[];
  /** People's counted judgments (not a judge's, not rejected ones). */
  judgment_count: number;
  /** The project's overlap: judgments each comparison wants. */
  overlap: number;
  is_gold: boolean;
  is_open: boolean;
  /** Unresolved flags, and all of them. */
  open_flags: number;
  flags: number;
  /** The majority share: of its counted judgments with a main verdict, the share giving the most
   * common one; null under two. Not the overview's raw agreement (the share of agreeing pairs). */
  agreement: number | null;
  created_at: string;
}

export interface ComparisonListPage {
  count: number;
  next: string | null;
  previous: string | null;
  results: ComparisonRow[];
}

// The project statistics (labeling/stats/api.py ProjectStatsSerializer; the payload is built by
// labeling/stats/services.py): counts, agreement, annotator quality and model ratings.

import type { ComparisonKind } from "./project";

/** Agreement figures among annotators; a null figure has a reason. */
export interface AgreementFigures {
  /** "comparison", or "implied pair" for rankings. */
  unit: "comparison" | "implied pair";
  /** Units rated by two or more annotators. */
  n_units: number;
  n_raters: number;
  n_ratings: number;
  /** Nominal: a, tie and b as categories. */
  krippendorff_alpha: number | null;
  /** 95 % bootstrap interval for alpha. */
  krippendorff_alpha_ci: [number, number] | null;
  /** On the signed strength score -S..S of the judgments with a strength (imported labels have none and are
   * left out); null for rankings, without a strength scale, or when no judgment has a strength. */
  krippendorff_alpha_ordinal: number | null;
  krippendorff_alpha_interval: number | null;
  fleiss_kappa: number | null;
  /** Fleiss needs equal counts: the units with the most common count, and that count. */
  fleiss_units: number;
  fleiss_ratings_per_unit: number;
  cohen_kappa_mean: number | null;
  percent_agreement: number | null;
  /** Why nothing could be computed, when nothing could. */
  reason: string | null;
  /** Why each null figure is null. */
  reasons: Record<string, string>;
}

/** The main verdict's agreement, with the same figures per criterion. */
export interface AgreementBlock extends AgreementFigures {
  criteria: Record<string, AgreementFigures>;
}

/** One annotator's quality figures (labeling/stats/annotator_quality.py). */
export interface AnnotatorQuality {
  /** User id. */
  annotator: number;
  username: string;
  /** Rows: judgments plus skips. */
  n: number;
  /** Share agreeing with the leave-one-out majority. */
  agreement: number | null;
  n_agreement: number;
  /** A ranking matches gold on its first response; tying the top never matches. */
  gold_accuracy: number | null;
  n_gold: number;
  median_seconds: number | null;
  /** Share of judgments holding a tie (a ranking: any positions ranked equal); null in a ranking project without ties. */
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
  /** Dawid–Skene estimate of the share of their verdicts that are right; null with under 5
   * judgments on comparisons others judged too, or a single annotator. */
  reliability: number | null;
}

export interface RatingRow {
  model: string;
  rating: number;
  /** The bootstrap's 2.5th and 97.5th percentiles; null for online Elo and unbootstrapped fits. */
  ci_low: number | null;
  ci_high: number | null;
  /** 1 + models whose ci_low is above this one's ci_high. */
  rank: number;
  /** Judgments (or implied pairs) the model appears in. */
  n: number;
}

/** Why the leaderboard has no rating for a model (its likelihood has no maximum): it never lost to
 * the rated models (above), never won against them (below), or no result connects it (apart). */
export type Unrated = "above" | "below" | "apart";

/** A leaderboard row: rating, interval ends and rank null where the data cannot give them. An
 * interval end is null where resamples left the model unbounded that way (no limit). */
export interface LeaderboardRatingRow extends Omit<RatingRow, "rating" | "rank"> {
  rating: number | null;
  rank: number | null;
  /** Absent from stats computed before it existed. */
  unrated?: Unrated | null;
}

export interface LengthControlledRow {
  model: string;
  rating: number;
  n: number;
}

export interface Ratings {
  /** Judgments (or pairs implied by rankings) between different models. */
  n: number;
  /** Pairs left out: one model against itself, and pairs naming no model (no response has a name). */
  excluded: { same_model: number; no_model: number };
  /** What the rating numbers mean, in words. */
  scale: string;
  /** The published leaderboard: Bradley–Terry with bootstrap intervals, best first. */
  bradley_terry: LeaderboardRatingRow[];
  /** Online Elo, in judgment order (no interval). */
  elo: RatingRow[];
  /** Bradley–Terry counting a preference of strength s as s games; null without a strength scale. */
  strength_weighted: RatingRow[] | null;
  /** ``length_coef_se``: null where the data cannot tell length from the models; absent from
   * stats computed before it existed. */
  length_controlled: { rows: LengthControlledRow[]; length_coef: number | null; length_coef_se?: number | null };
  /** matrix[i][j]: share of points models[i] scored against models[j]; null where they never met. */
  win_rate: { models: string[]; matrix: (number | null)[][] };
  reason: string | null;
  /** Whose verdicts the ratings count: people's (imported labels included); judges' never do. */
  labels?: "human";
}

export interface StatsCounts {
  comparisons: number;
  gold_comparisons: number;
  /** People's judgments, imported ones included, one on criteria alone too (as the overview counts them);
   * not judges' nor those rejected in review. */
  judgments: number;
  judged_comparisons: number;
  complete_comparisons: number;
  /** Judgments holding a tie: a pairwise tie, or a ranking with positions ranked equal. */
  ties: number;
  skips: number;
  flags: number;
  annotators: number;
  imported_judgments: number;
  /** Judgments by judges: counted in `judges` only (absent in stats cached before judges). */
  judge_judgments?: number;
}

/** Seconds the computation took, by part. */
export interface StatsSeconds {
  read: number;
  agreement: number;
  annotators: number;
  ratings: number;
  judges?: number;
  total: number;
}

/** Agreement of verdicts with a reference: a judge's with the human majority, or (the ceiling)
 * each human's with the other humans' majority. */
export interface JudgeFigures {
  /** Verdicts compared. */
  n: number;
  /** Share equal to the reference (a, tie, b), with its 95% Wilson interval. */
  raw: number | null;
  raw_ci: [number, number] | null;
  /** Cohen's kappa against the reference, with a 95% bootstrap interval. */
  kappa: number | null;
  kappa_ci: [number, number] | null;
  reason: string | null;
}

export interface JudgeAgreement extends JudgeFigures {
  /** The humans' own agreement on the comparisons the judge labelled: what a judge can hope for. */
  human_ceiling: JudgeFigures;
}

/** A share of decisive verdicts with its 95% Wilson interval. */
export interface VerdictShare {
  share: number | null;
  ci: [number, number] | null;
  n: number;
}

/** One judge (a model labelling comparisons) measured against the humans (labeling/stats/judges.py). */
export interface JudgeStats {
  name: string;
  kind: "reward_model" | "causal_lm" | "endpoint";
  /** The judge's user id: its judgments are stored under it. */
  annotator: number;
  /** Its judgments (not rejected). */
  count: number;
  agreement_with_humans: JudgeAgreement & { criteria: Record<string, JudgeAgreement> };
  /** Share of decisive verdicts for the earlier position (A): the judge's and the humans'. */
  position_bias: { judge: VerdictShare; humans: VerdictShare };
  /** Share of decisive verdicts for the longer response: the judge's and the humans'. */
  length_bias: { judge: VerdictShare; humans: VerdictShare };
}

/** GET /api/projects/{id}/stats/ (200). The server leaves `ratings` out for annotators (they
 * judge blind); logic/leaderboard's statsPayload only passes on payloads that have them. */
export interface ProjectStats {
  project: number;
  task_type: ComparisonKind;
  computed_at: string;
  /** Judgments counted (the watermark). */
  judgments: number;
  last_judgment_id: number;
  counts: StatsCounts;
  agreement: AgreementBlock;
  annotators: AnnotatorQuality[];
  ratings: Ratings;
  /** Project admins only: each judge against the humans, by name. */
  judges?: JudgeStats[];
  seconds: StatsSeconds;
  /** Judgments changed since; a refresh is on its way. */
  stale: boolean;
}

/** 202 from GET /api/projects/{id}/stats/ while the first computation runs. */
export interface StatsPending {
  detail: string;
  stale: boolean;
}

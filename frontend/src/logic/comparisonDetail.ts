// The words one comparison's page shows for its judgments (plain functions, unit-tested):
// who made each (a judge by its name, marked), its verdict per criterion, and its review.

import type { ComparisonDetail, ComparisonJudgment, GoldAnswer } from "../types";
import { verdictText } from "./reviewQuery";

/** The name shown for who judged: a judge's own name (its username is an internal "judge:…"). */
export function judgedBy(judgment: ComparisonJudgment): string {
  return judgment.by_judge ? judgment.judge ?? judgment.annotator : judgment.annotator;
}

/** Each criterion's verdict as words, in the judgment's order: [["helpful", "A, much better"], …]. */
export function criterionVerdicts(judgment: ComparisonJudgment, scale: string[]): [string, string][] {
  return Object.entries(judgment.criteria).map(([name, verdict]) => [
    name,
    verdictText({ winner: "", strength: null, ranking: null, ...verdict }, scale),
  ]);
}

/** "not reviewed", "accepted by ada", "rejected by ada: the note". */
export function reviewText(judgment: ComparisonJudgment): string {
  if (judgment.review === "") return "not reviewed";
  const by = judgment.reviewed_by ? ` by ${judgment.reviewed_by}` : "";
  if (judgment.review === "accepted") return `accepted${by}`;
  return `rejected${by}${judgment.review_note ? `: ${judgment.review_note}` : ""}`;
}

/** How the judgments split: people's and judges' counted apart, rejected ones left out. */
export function judgmentTally(comparison: ComparisonDetail): { people: number; judges: number; rejected: number } {
  const counted = comparison.judgments.filter((j) => j.review !== "rejected");
  return {
    people: counted.filter((j) => !j.by_judge).length,
    judges: counted.filter((j) => j.by_judge).length,
    rejected: comparison.judgments.length - counted.length,
  };
}

/** The gold answer a judgment's main verdict gives, or null where it gives none: a verdict on
 * criteria only, or a ranking with ties (a gold ranking is strict). */
export function goldFromJudgment(judgment: ComparisonJudgment): GoldAnswer | null {
  if (judgment.ranking) return (judgment.ranking_ties ?? []).length > 0 ? null : { ranking: judgment.ranking };
  return judgment.winner ? { winner: judgment.winner } : null;
}

/** A gold answer in the words the judgments' verdicts use: "A", "Tie", "c > a > b". */
export function goldText(answer: GoldAnswer | null): string {
  if (!answer) return "—";
  return verdictText({ winner: answer.winner ?? "", strength: null, ranking: answer.ranking ?? null }, []);
}

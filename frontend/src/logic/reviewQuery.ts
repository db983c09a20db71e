// The review queue's filters as a query string, and the words an entry is shown in (plain
// functions: the review screen renders what these return).

import type { Letter, PairwiseWinner, ReviewState, ReviewStateFilter } from "../types";
import { rankingText, tieGroups } from "./ranking";

export interface ReviewFilters {
  state: ReviewStateFilter;
  /** A username; empty for everyone. */
  annotator: string;
  flagged: boolean;
  disagrees: boolean;
  wrongOnGold: boolean;
}

export const NO_FILTERS: ReviewFilters = {
  state: "unreviewed", annotator: "", flagged: false, disagrees: false, wrongOnGold: false,
};

export const PAGE_SIZE = 10;

/** The query string of GET /api/projects/{id}/review/ for these filters and this page. */
export function reviewQuery(filters: ReviewFilters, offset: number, limit: number = PAGE_SIZE): string {
  const params = new URLSearchParams({ state: filters.state, limit: String(limit), offset: String(offset) });
  if (filters.annotator.trim()) params.set("annotator", filters.annotator.trim());
  if (filters.flagged) params.set("flagged", "1");
  if (filters.disagrees) params.set("disagrees", "1");
  if (filters.wrongOnGold) params.set("wrong_on_gold", "1");
  return params.toString();
}

interface Verdict {
  winner: PairwiseWinner | "";
  strength: number | null;
  ranking: Letter[] | null;
  /** A ranking's groups of positions ranked equal (runs of `ranking`). */
  ranking_ties?: Letter[][] | null;
}

/** "A, much better", "Tie", or a ranking "B > A > C" ("A = B > C" with ties); the strength named by
 * the project's scale. */
export function verdictText(verdict: Verdict, scale: string[]): string {
  if (verdict.ranking) return rankingText(verdict.ranking, tiedLetters(verdict.ranking_ties ?? []));
  if (verdict.winner === "tie") return "Tie";
  if (!verdict.winner) return "—";
  const label = verdict.strength ? scale[verdict.strength - 1] ?? `strength ${verdict.strength}` : "";
  return label ? `${verdict.winner.toUpperCase()}, ${label}` : verdict.winner.toUpperCase();
}

/** How the other counted judgments on the comparison compare: "2 of 3 others agree". */
export function agreementText(others: number, agreeing: number): string {
  if (others === 0) return "no other judgments";
  return `${agreeing} of ${others} other${others === 1 ? "" : "s"} agree${others === 1 && agreeing === 1 ? "s" : ""}`;
}

/** "1–10 of 23" for a page at `offset` showing `shown` entries. */
export function pageText(offset: number, shown: number, count: number): string {
  if (count === 0) return "nothing to review";
  return `${offset + 1}–${offset + shown} of ${count}`;
}

/** Whether a judgment with this review is listed under the `state` filter. */
export function listedUnder(state: ReviewStateFilter, review: ReviewState): boolean {
  return state === "all" || (state === "unreviewed" ? review === "" : review === state);
}

/** Where the next page starts: entries decided on this page that left the filter (accepted under
 * "Not reviewed") have left the list too, so the next page starts that many entries earlier. */
export function nextOffset(state: ReviewStateFilter, offset: number, shown: { review: ReviewState }[], size = PAGE_SIZE): number {
  const left = shown.filter((entry) => !listedUnder(state, entry.review)).length;
  return offset + size - left;
}

/** The positions a verdict puts first: the winner (none for a tie), or a ranking's best group. */
export function chosenLetters(verdict: Verdict): string[] {
  if (verdict.ranking) return tieGroups(verdict.ranking, tiedLetters(verdict.ranking_ties ?? []))[0] ?? [];
  return verdict.winner && verdict.winner !== "tie" ? [verdict.winner] : [];
}

/** The letters ranked equal to the one above them (the draft's `tied`) from the API's groups. */
function tiedLetters(groups: readonly Letter[][]): Letter[] {
  return groups.flatMap((group) => group.slice(1));
}

// What the annotation screen remembers of the comparisons just handled: the last actions that
// Undo can take back, the words that confirm each, and the progress counts they move. Pure.

import type { Comparison, Judgment, Progress, SkipReason } from "../types";
import type { Draft } from "./draft";

/** What is needed to put a comparison back on screen as it was. */
export interface Shown {
  comparison: Comparison;
  draft: Draft;
  demoText: string;
  timeMs: number;
}

/** One action Undo can take back while it is editable (the server's window: 10 minutes). */
export type LastAction =
  | ({ kind: "submit"; judgment: Promise<Judgment>; saved: Judgment | null } & Shown)
  | ({ kind: "skip"; reason: SkipReason; write: Promise<unknown>; at: number } & Shown)
  | { kind: "flag"; comparison: Comparison; write: Promise<unknown>; at: number };

export const UNDO_WINDOW_MS = 10 * 60_000;
/** How many handled comparisons the history panel keeps, newest first. */
export const HISTORY_MAX = 10;

/** Until when Undo can take `last` back; a submit not yet saved counts as open. */
export function undoableUntil(last: LastAction): number {
  if (last.kind !== "submit") return last.at + UNDO_WINDOW_MS;
  if (!last.saved) return Infinity;
  return last.saved.editable_until === null ? 0 : Date.parse(last.saved.editable_until);
}

/** `entry` first, the oldest dropped past HISTORY_MAX. */
export function remembered(history: LastAction[], entry: LastAction): LastAction[] {
  return [entry, ...history].slice(0, HISTORY_MAX);
}

/** The brief mark a submit leaves in the dock. */
export function submitConfirmation(comparisonId: number): string {
  return `✓ #${comparisonId} submitted`;
}

/** The brief mark a skip (or a flag that skips) leaves in the dock. */
export function skipConfirmation(comparisonId: number, reason: SkipReason): string {
  return reason ? `⚑ #${comparisonId} flagged and skipped` : `#${comparisonId} skipped`;
}

/** The mark an undo leaves in the dock in place of the one its action left ("✓ #7 submitted"),
 * which no longer holds. */
export function undoneConfirmation(entry: LastAction): string {
  return entry.kind === "flag" ? `#${entry.comparison.id} flag withdrawn` : `↺ #${entry.comparison.id} reopened`;
}

/** Why the server refused a judgment for good, in the dock and in a notice: the screen moved on
 * when it was submitted, so its "submitted" mark must be taken back. `reason` is the 409's. */
export function refusedJudgment(comparisonId: number, reason: unknown, message: string): { confirmation: string; notice: string } {
  if (reason === "already_judged") {
    return {
      confirmation: `#${comparisonId} already judged in another tab or session`,
      notice: `#${comparisonId} was already judged in another tab or session; this judgment was not stored`,
    };
  }
  return { confirmation: `#${comparisonId} not saved`, notice: `Judgment on #${comparisonId} not saved: ${message}` };
}

/** The notice once `entry` was taken back. */
export function undoneNotice(entry: LastAction): string {
  if (entry.kind === "submit") return `Reopened your judgment on #${entry.comparison.id}`;
  if (entry.kind === "skip") return entry.reason ? "Flag withdrawn; the comparison is back" : "The skipped comparison is back";
  return "Flag withdrawn";
}

/** Progress counted ahead of the server: `step` 1 for a judgment given, -1 for one undone. */
export function progressAfter(progress: Progress, step: 1 | -1): Progress {
  return {
    ...progress,
    done_today: Math.max(0, progress.done_today + step),
    done_total: Math.max(0, progress.done_total + step),
    remaining: Math.max(0, progress.remaining - step),
  };
}

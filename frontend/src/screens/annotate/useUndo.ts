// Undo: a judgment or a skip comes back on screen as it was left (its draft, its demonstration,
// its time), a flag made while judging on is withdrawn.

import { ApiError, undoJudgment, unskipComparison, withdrawFlag } from "../../api";
import type { ComparisonFeed } from "../../logic/comparisonFeed";
import { type LastAction, type Shown, undoneConfirmation, undoneNotice } from "../../logic/sessionHistory";
import type { Comparison, Flag, Judgment } from "../../types";
import type { ComparisonView } from "./useComparisonView";
import type { SessionStatus } from "./useSessionStatus";

/** How long Undo waits for the write it takes back: normally saved within milliseconds, but
 * offline, undo must not freeze the screen. */
const SAVE_WAIT_MS = 3000;

interface UndoParts {
  feed: ComparisonFeed;
  view: ComparisonView;
  status: SessionStatus;
  setBusy: (busy: boolean) => void;
}

type Restore = (reopened: Comparison, from: Shown, counted: boolean) => void;

/** Put a reopened comparison back on screen as it was left; the one shown now waits next in line. */
function restorer({ feed, view, status }: UndoParts): Restore {
  return (reopened, from, counted) => {
    feed.reopen(reopened);
    view.show(reopened, from);
    status.uncount();
    if (counted) status.countJudgment(-1);
    status.refreshProgress();
  };
}

/** Ask the server to take `entry` back, once its write (`saved`) has landed. */
async function takeBack(entry: LastAction, saved: unknown, restore: Restore): Promise<void> {
  if (entry.kind === "submit") restore(await undoJudgment((saved as Judgment).id), entry, true);
  else if (entry.kind === "skip") restore(await unskipComparison(entry.comparison.id, entry.reason), entry, false);
  else await withdrawFlag((saved as Flag).id);
}

/** Take back `entry` (the last action by default). */
export function useUndo(parts: UndoParts): (entry?: LastAction | null) => Promise<void> {
  const { status, setBusy } = parts;
  return async (entry = status.last) => {
    if (!entry) return status.notify("Nothing to undo");
    setBusy(true);
    try {
      const saved = await Promise.race([entry.kind === "submit" ? entry.judgment : entry.write, delay(SAVE_WAIT_MS)]);
      if (!saved) return status.notify(`That ${entry.kind} is still being saved; undo once it is`, "error");
      await takeBack(entry, saved, restorer(parts));
      status.restate(undoneConfirmation(entry), "undone");
      status.notify(undoneNotice(entry));
      status.forget(entry);
    } catch (err) {
      const tooLate = err instanceof ApiError && err.status === 409;
      if (tooLate) status.forget(entry);
      status.notify(tooLate ? `Cannot undo: ${err.message}` : `Could not undo: ${(err as Error).message}`, "error");
    } finally {
      setBusy(false);
    }
  };
}

function delay(ms: number): Promise<null> {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms));
}

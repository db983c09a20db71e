// Submit, skip and flag on the comparison on screen. Each write goes through the app's retry
// queue and the screen moves on at once; the write's outcome arrives later as a notice.

import { useCallback, useRef } from "preact/hooks";
import { ApiError, writes, type WriteRequest } from "../../api";
import { newClientKey } from "../../ids";
import { checkSubmit, type Draft, toJudgment } from "../../logic/draft";
import { DroppedJob, type RetryQueue } from "../../logic/retryQueue";
import { type LastAction, refusedJudgment, skipConfirmation, submitConfirmation } from "../../logic/sessionHistory";
import type { Comparison, FlagReason, Judgment, Project, SkipReason } from "../../types";
import type { ComparisonView } from "./useComparisonView";
import type { SessionStatus } from "./useSessionStatus";

/** What the commands act on: this render's session. */
export interface SessionParts {
  project: Project | null;
  queue: RetryQueue<WriteRequest>;
  view: ComparisonView;
  status: SessionStatus;
  busy: boolean;
  /** Show the next comparison. */
  advance: () => Promise<void>;
  /** Tell the annotator's other tabs that a comparison's judgment or skip reached the server. */
  announceFinished: (comparisonId: number) => void;
}

type Notify = SessionStatus["notify"];

/** Sends the ideal response with its judgment: after it in the queue, and dropped with it if the
 * server refuses the judgment (already judged in another tab or session: a demonstration sent then
 * would replace the one sent with the judgment that was kept; the server keeps one per annotator
 * and prompt). A text already sent or on its way for the prompt is not sent again (a reopened
 * comparison keeps its text; a reload finds it in the stored queue). */
function useDemonstrationSender(queue: RetryQueue<WriteRequest>, notify: Notify) {
  const sent = useRef(new Map<number, string>());
  return useCallback(
    (comparison: Comparison, text: string, timeMs: number, judgmentKey: string) => {
      const trimmed = text.trim();
      const prompt = comparison.prompt.id;
      if (!trimmed || sent.current.get(prompt) === trimmed || demonstrationQueued(queue.pendingRequests(), prompt, trimmed)) return;
      const client_key = newClientKey();
      sent.current.set(prompt, trimmed);
      const body = { prompt, text: trimmed, client_key, time_spent_ms: timeMs };
      queue
        .enqueue(client_key, `Demonstration for #${comparison.id}`, writes.demonstration(body), { after: judgmentKey })
        .catch((err) => {
          if (sent.current.get(prompt) === trimmed) sent.current.delete(prompt); // not stored: may go again
          if (!(err instanceof DroppedJob)) notify(`Demonstration not saved: ${err.message}`, "error");
        });
    },
    [queue, notify],
  );
}

/** Whether the queue already holds this text for the prompt (written before a reload). */
function demonstrationQueued(requests: WriteRequest[], prompt: number, text: string): boolean {
  return requests.some((request) => {
    const body = request.body as { prompt?: unknown; text?: unknown } | null;
    return request.path === "/api/demonstrations/" && body?.prompt === prompt && body.text === text;
  });
}

/** Whether the draft must stay: what is missing is shown, or a ranking left as presented is
 * held back once for a second Enter. */
function refused(view: ComparisonView, draft: Draft): boolean {
  const check = checkSubmit(draft);
  if (check.status === "missing") {
    view.setProblems(check.problems);
    view.dispatchDraft({ type: "criterion", index: check.criterion });
    return true;
  }
  if (check.status === "confirm") {
    view.dispatchDraft({ type: "confirmUnchanged" });
    view.setProblems(["The order is as presented. Press Enter again to submit it as is."]);
    return true;
  }
  return false;
}

/** Submit the draft judgment and move on. */
export function useSubmit(parts: SessionParts): () => void {
  const sendDemonstration = useDemonstrationSender(parts.queue, parts.status.notify);
  return () => {
    const { view, status, queue, project } = parts;
    const { comparison, draft, demoText } = view;
    if (!comparison || !draft || parts.busy || refused(view, draft)) return;
    const timeMs = view.stopwatch.current.elapsedMs();
    const client_key = newClientKey();
    const body = toJudgment(draft, { comparison: comparison.id, time_spent_ms: timeMs, client_key });
    const label = `Judgment on #${comparison.id}`;
    const judgment = queue.enqueue(client_key, label, writes.judgment(body)) as Promise<Judgment>;
    if (project?.collect_demonstrations) sendDemonstration(comparison, demoText, timeMs, client_key);
    view.finish(comparison.id);
    const record: LastAction = { kind: "submit", comparison, draft, demoText, timeMs, judgment, saved: null };
    judgment
      .then((saved) => {
        record.saved = saved;
        parts.announceFinished(comparison.id);
        status.touch();
        status.refreshProgress();
      })
      .catch((err) => refuse(status, record, err));
    status.remember(record);
    status.confirm(submitConfirmation(comparison.id));
    status.countJudgment(1);
    void parts.advance();
  };
}

/** A judgment failed for good (a 409 when another tab judged the comparison first): the screen
 * has moved on, but its "submitted" mark and its history entry must not stay. */
function refuse(status: SessionStatus, record: LastAction, err: Error) {
  const reason = err instanceof ApiError ? err.body.reason : undefined;
  const words = refusedJudgment(record.comparison.id, reason, err.message);
  status.forget(record);
  status.restate(words.confirmation, "refused");
  status.notify(words.notice, "error");
  status.refreshProgress();
}

/** Skip the comparison on screen (`reason`: flagged too) and move on. */
export function useSkip(parts: SessionParts): (reason?: SkipReason, note?: string) => void {
  return (reason: SkipReason = "", note = "") => {
    const { view, status, queue } = parts;
    const { comparison, draft, demoText } = view;
    if (!comparison || !draft || parts.busy) return;
    const write = queue.enqueue(newClientKey(), `Skip #${comparison.id}`, writes.skip(comparison.id, { reason, note }));
    view.finish(comparison.id);
    write
      .then(() => {
        parts.announceFinished(comparison.id);
        status.refreshProgress();
      })
      .catch((err) => status.notify(`Skip not saved: ${err.message}`, "error"));
    const timeMs = view.stopwatch.current.elapsedMs();
    status.remember({ kind: "skip", comparison, draft, demoText, timeMs, reason, write, at: Date.now() });
    status.confirm(skipConfirmation(comparison.id, reason));
    void parts.advance();
  };
}

/** Flag the comparison on screen; unless `keepJudging`, skip it too. */
export function useFlag(parts: SessionParts, skip: (reason: SkipReason, note: string) => void) {
  return (reason: FlagReason, note: string, keepJudging: boolean) => {
    const { view, status, queue } = parts;
    const comparison = view.comparison;
    if (!comparison) return;
    const write = queue.enqueue(newClientKey(), `Flag on #${comparison.id}`, writes.flag(comparison.id, { reason, note }));
    write.catch((err) => status.notify(`Flag not saved: ${err.message}`, "error"));
    if (!keepJudging) return skip(reason, note);
    status.remember({ kind: "flag", comparison, write, at: Date.now() });
    status.notify("Flagged — keep judging");
  };
}

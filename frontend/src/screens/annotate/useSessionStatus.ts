// The annotation screen's bookkeeping around the comparison on screen: the passing notice, the
// progress counts, the history Undo works from, and the tally of comparisons handled.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { getProgress } from "../../api";
import { AnswerOrder } from "../../logic/answerOrder";
import { type LastAction, progressAfter, remembered } from "../../logic/sessionHistory";
import type { Progress } from "../../types";

export interface Notice {
  text: string;
  kind: "info" | "error";
}

/** The brief mark a submit or skip leaves in the dock; `seq` restarts its fade-out animation.
 * `tone`: "done" for a submit or skip, "undone" once Undo took it back, "refused" when the server
 * refused a judgment the screen had already moved on from. */
export interface Confirmation {
  seq: number;
  text: string;
  tone: "done" | "undone" | "refused";
}

/** A toast that clears itself: errors stay longer. */
export function useNotice() {
  const [notice, setNotice] = useState<Notice | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const notify = useCallback((text: string, kind: Notice["kind"] = "info") => {
    setNotice({ text, kind });
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => setNotice(null), kind === "error" ? 6000 : 2200);
  }, []);
  return { notice, notify };
}

/** The annotator's progress: read from the server, counted ahead of it on each submit and undo.
 * An answer that is outdated when it arrives (a later one came first, or a count moved since it
 * was asked) is dropped (logic/answerOrder). */
export function useProgress(projectId: number) {
  const [progress, setProgress] = useState<Progress | null>(null);
  const order = useRef(new AnswerOrder());
  const refreshProgress = useCallback(() => {
    const ticket = order.current.ask();
    getProgress(projectId)
      .then((answer) => {
        if (order.current.accept(ticket)) setProgress(answer);
      })
      .catch(() => undefined);
  }, [projectId]);
  const countJudgment = useCallback((step: 1 | -1) => {
    order.current.changedHere();
    setProgress((p) => p && progressAfter(p, step));
  }, []);
  useEffect(refreshProgress, [refreshProgress]);
  return { progress, refreshProgress, countJudgment };
}

/** The actions Undo can take back, newest first. */
export function useHistory() {
  const [history, setHistory] = useState<LastAction[]>([]);
  const remember = useCallback((entry: LastAction) => setHistory((h) => remembered(h, entry)), []);
  const forget = useCallback((entry: LastAction) => setHistory((h) => h.filter((e) => e !== entry)), []);
  /** An entry changed in place (its judgment was saved): render its edit window. */
  const touch = useCallback(() => setHistory((h) => [...h]), []);
  return { history, last: history[0] ?? null, remember, forget, touch };
}

/** How many comparisons were handled in this session, and the mark the last one left. */
export function useTally() {
  const [handled, setHandled] = useState(0);
  const [confirmation, setConfirmation] = useState<Confirmation | null>(null);
  /** A mark that replaces the last one without counting a comparison handled. */
  const restate = useCallback((text: string, tone: Confirmation["tone"]) => {
    setConfirmation((old) => ({ seq: (old?.seq ?? 0) + 1, text, tone }));
  }, []);
  const confirm = useCallback((text: string) => {
    setHandled((n) => n + 1);
    restate(text, "done");
  }, [restate]);
  const uncount = useCallback(() => setHandled((n) => Math.max(0, n - 1)), []);
  return { comparisonNumber: handled + 1, confirmation, confirm, restate, uncount };
}

export type SessionStatus = ReturnType<typeof useNotice> & ReturnType<typeof useProgress> &
  ReturnType<typeof useHistory> & ReturnType<typeof useTally>;

export function useSessionStatus(projectId: number): SessionStatus {
  return { ...useNotice(), ...useProgress(projectId), ...useHistory(), ...useTally() };
}

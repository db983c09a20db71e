// The comparison on screen: its draft judgment, the demonstration being written, the time spent
// on it, and the phase of the screen (loading, ready, empty, error).

import { type MutableRef, useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";
import { ApiError, loginUrl } from "../../api";
import { type Draft, type DraftAction, draftConfigFor, reduceDraft, reopenedDraft, restoredDraft, savedDraft } from "../../logic/draft";
import type { Shown } from "../../logic/sessionHistory";
import { Stopwatch } from "../../logic/stopwatch";
import { UnsentTextStore } from "../../logic/unsentText";
import { currentSession } from "../../session";
import type { Comparison, Project } from "../../types";

export type Phase = "loading" | "ready" | "empty" | "error";

type DraftState = Draft | null;
type DraftCommand = DraftAction | { type: "load"; draft: DraftState };

function draftReducer(state: DraftState, action: DraftCommand): DraftState {
  if (action.type === "load") return action.draft;
  return state ? reduceDraft(state, action) : state;
}

/** The stopwatch runs only while the tab is visible. */
function useVisibleTime(stopwatch: MutableRef<Stopwatch>) {
  useEffect(() => {
    const onVisibility = () =>
      document.visibilityState === "visible" ? stopwatch.current.start() : stopwatch.current.pause();
    document.addEventListener("visibilitychange", onVisibility);
    return () => document.removeEventListener("visibilitychange", onVisibility);
  }, [stopwatch]);
}

const NOT_YOURS = "this project does not exist, or you are not one of its annotators. Ask its admin to add you.";

/** The screen's phase and what went wrong; a lost session goes to the login page instead. */
export function usePhase() {
  const [phase, setPhase] = useState<Phase>("loading");
  const [error, setError] = useState("");
  const fail = useCallback((err: unknown) => {
    if (err instanceof ApiError && err.isAuth) {
      location.assign(loginUrl());
      return;
    }
    // The server answers 404 alike for a project that does not exist and one the caller is not a
    // member of (it does not tell outsiders which projects exist): say both.
    const missing = err instanceof ApiError && err.status === 404;
    setError(missing ? NOT_YOURS : err instanceof Error ? err.message : String(err));
    setPhase("error");
  }, []);
  return { phase, setPhase, error, fail };
}

export type PhaseState = ReturnType<typeof usePhase>;

export function useComparisonView(project: Project | null, { phase, setPhase, error, fail }: PhaseState) {
  const stopwatch = useRef(new Stopwatch());
  const [comparison, setComparison] = useState<Comparison | null>(null);
  const [draft, dispatchDraft] = useReducer(draftReducer, null);
  const [demoText, setDemoText] = useState("");
  const [problems, setProblems] = useState<string[]>([]);
  useVisibleTime(stopwatch);
  const onScreen = useRef<OnScreen>({ comparison, draft, demoText });
  onScreen.current = { comparison, draft, demoText };
  const unsent = useUnsentWork(onScreen.current, stopwatch);

  /** Put `next` on screen: fresh, or (`from`, after an undo) as it was left, its keys starting on Overall. */
  const show = useCallback(
    (next: Comparison | null, from?: Omit<Shown, "comparison">) => {
      const left = onScreen.current;
      // The one on screen goes without a submit or a skip (those forgot it: finish()) when an undo
      // puts another in its place: what was done on it is kept, time included, to come back as left.
      if (left.comparison && left.comparison.id !== next?.id) unsent.keep(left, stopwatch.current.elapsedMs());
      setComparison(next);
      setProblems([]);
      setPhase(next ? "ready" : "empty");
      if (!next || !project) {
        stopwatch.current = new Stopwatch();
        return;
      }
      unsent.finished.delete(next.id);
      // Fresh: with what was chosen and typed on it and not sent (a reload, or an undo that took
      // its place in between), verdicts and text together.
      const kept = from ? null : unsent.store.load(next.id);
      const fresh = restoredDraft(draftConfigFor(project, next), kept?.draft, kept?.rationale ?? "");
      stopwatch.current = new Stopwatch(undefined, from?.timeMs ?? kept?.timeMs ?? 0);
      dispatchDraft({ type: "load", draft: from ? reopenedDraft(from.draft) : fresh });
      setDemoText(from?.demoText ?? kept?.demonstration ?? "");
      if (document.visibilityState === "visible") stopwatch.current.start();
      window.scrollTo({ top: 0 });
    },
    [project, setPhase, unsent],
  );

  /** The comparison was submitted or skipped (here or in another tab): what was kept of it goes,
   * and is not kept again while it stays on screen. Its text is in the queued write now. */
  const finish = useCallback((comparisonId: number) => unsent.forget(comparisonId), [unsent]);

  /** A change to the draft from a key or click; clears the "missing" message of a refused submit. */
  const edit = useCallback((action: DraftAction) => {
    dispatchDraft(action);
    setProblems((current) => (current.length ? [] : current));
  }, []);

  return {
    stopwatch, phase, setPhase, error, fail, comparison, draft, dispatchDraft, edit, demoText, setDemoText,
    problems, setProblems, show, finish,
  };
}

export type ComparisonView = ReturnType<typeof useComparisonView>;

interface OnScreen {
  comparison: Comparison | null;
  draft: Draft | null;
  demoText: string;
}

/** What was done on the comparison on screen and not sent (logic/unsentText: the draft's choices,
 * the rationale, the ideal response, the time), kept as it changes; for show() to read back. */
function useUnsentWork(shown: OnScreen, stopwatch: MutableRef<Stopwatch>) {
  const work = useMemo(() => {
    const store = new UnsentTextStore(browserStorage(), `preference-studio:unsent:${currentSession().username}`);
    /** Submitted or skipped: never kept again, even while still on screen (the next loads). */
    const finished = new Set<number>();
    const keep = ({ comparison, draft, demoText }: OnScreen, timeMs: number) => {
      if (!comparison || !draft || finished.has(comparison.id)) return;
      store.save(comparison.id, { rationale: draft.rationale, demonstration: demoText, draft: savedDraft(draft), timeMs });
    };
    const forget = (comparisonId: number) => {
      finished.add(comparisonId);
      store.forget(comparisonId);
    };
    return { store, finished, keep, forget };
  }, []);
  const { comparison, draft, demoText } = shown;
  // A layout effect runs right after the render, before the browser does anything else: a plain effect waited for the next frame, and a
  // reload right after the last key lost that key.
  useLayoutEffect(() => {
    work.keep({ comparison, draft, demoText }, stopwatch.current.elapsedMs());
  }, [work, comparison, draft, demoText, stopwatch]);
  return work;
}

function browserStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // refused (some private modes)
  }
}

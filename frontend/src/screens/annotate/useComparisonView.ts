// The comparison on screen: its draft judgment, the demonstration being written, the time spent
// on it, and the phase of the screen (loading, ready, empty, error).

import { type MutableRef, useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from "preact/hooks";
import { ApiError, loginUrl } from "../../api";
import { type Draft, type DraftAction, draftConfigFor, newDraft, reduceDraft, reopenedDraft } from "../../logic/draft";
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
  const unsent = useUnsentText(comparison, draft, demoText);

  /** Put `next` on screen: fresh, or (`from`, after an undo) as it was left, its keys starting on Overall. */
  const show = useCallback(
    (next: Comparison | null, from?: Omit<Shown, "comparison">) => {
      setComparison((left) => {
        // The one on screen was submitted or skipped (a reload starts from none): its text was sent.
        if (left && left.id !== next?.id) unsent.current.forget(left.id);
        return next;
      });
      setProblems([]);
      setPhase(next ? "ready" : "empty");
      stopwatch.current = new Stopwatch(undefined, from?.timeMs ?? 0);
      if (!next || !project) return;
      // Fresh: with what was typed on it and not sent, if the page was reloaded in between.
      const kept = from ? null : unsent.current.load(next.id);
      const fresh = { ...newDraft(draftConfigFor(project, next)), rationale: kept?.rationale ?? "" };
      dispatchDraft({ type: "load", draft: from ? reopenedDraft(from.draft) : fresh });
      setDemoText(from?.demoText ?? kept?.demonstration ?? "");
      if (document.visibilityState === "visible") stopwatch.current.start();
      window.scrollTo({ top: 0 });
    },
    [project, setPhase],
  );

  /** A change to the draft from a key or click; clears the "missing" message of a refused submit. */
  const edit = useCallback((action: DraftAction) => {
    dispatchDraft(action);
    setProblems((current) => (current.length ? [] : current));
  }, []);

  return {
    stopwatch, phase, setPhase, error, fail, comparison, draft, dispatchDraft, edit, demoText, setDemoText,
    problems, setProblems, show,
  };
}

export type ComparisonView = ReturnType<typeof useComparisonView>;

/** The rationale and ideal response typed on the comparison on screen, kept as they change
 * (logic/unsentText): the store, for show() to read back and forget. */
function useUnsentText(comparison: Comparison | null, draft: Draft | null, demoText: string): MutableRef<UnsentTextStore> {
  const store = useRef(new UnsentTextStore(browserStorage(), `preference-studio:unsent:${currentSession().username}`));
  const rationale = draft?.rationale ?? "";
  // A layout effect runs right after the render, before the browser does anything else: a plain effect waited for the next frame, and a
  // reload right after the last key lost that key.
  useLayoutEffect(() => {
    if (comparison) store.current.save(comparison.id, { rationale, demonstration: demoText });
  }, [comparison, rationale, demoText]);
  return store;
}

function browserStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // refused (some private modes)
  }
}

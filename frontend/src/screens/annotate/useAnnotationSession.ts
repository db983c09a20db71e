// The annotation screen's state and commands: which task is shown, the draft judgment on it,
// and submit / skip / flag / undo. Writes go through the app's retry queue; the next task is
// leased ahead by the TaskFeed so a submit never waits on the network.

import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";
import { ApiError, getProgress, getProject, loginUrl, nextTask, undoJudgment, unskipComparison, withdrawFlag, writes } from "../../api";
import { newClientKey } from "../../ids";
import { warmMarkdown } from "../../markdown";
import { checkSubmit, type Draft, type DraftAction, type DraftConfig, newDraft, reduceDraft, toJudgment } from "../../logic/draft";
import { Stopwatch } from "../../logic/stopwatch";
import { TaskFeed } from "../../logic/taskFeed";
import type { FlagReason, Judgment, Progress, Project, SkipReason, Task } from "../../types";
import { writeQueue } from "../../writeQueue";

export type Phase = "loading" | "ready" | "empty" | "error";

export interface Notice {
  text: string;
  kind: "info" | "error";
}

/** The brief mark a submit or skip leaves in the dock; `seq` restarts its fade-out animation. */
export interface Confirmation {
  seq: number;
  text: string;
}

/** What is needed to put a task back on screen as it was. */
interface Shown {
  task: Task;
  draft: Draft;
  demoText: string;
  timeMs: number;
}

/** The last action, which Undo takes back while it is editable (the server's window: 10 minutes). */
export type LastAction =
  | ({ kind: "submit"; judgment: Promise<Judgment>; saved: Judgment | null } & Shown)
  | ({ kind: "skip"; reason: SkipReason; write: Promise<unknown>; at: number } & Shown)
  | { kind: "flag"; task: Task; write: Promise<unknown>; at: number };

const UNDO_WINDOW_MS = 10 * 60_000;
/** How many handled items the history panel keeps, newest first. */
export const HISTORY_MAX = 10;

/** Until when Undo can take `last` back; a submit not yet saved counts as open. */
export function undoableUntil(last: LastAction): number {
  if (last.kind !== "submit") return last.at + UNDO_WINDOW_MS;
  return last.saved ? Date.parse(last.saved.editable_until) : Infinity;
}

type DraftState = Draft | null;
type DraftCommand = DraftAction | { type: "load"; draft: DraftState };

function draftReducer(state: DraftState, action: DraftCommand): DraftState {
  if (action.type === "load") return action.draft;
  return state ? reduceDraft(state, action) : state;
}

export function draftConfig(project: Project, task: Task): DraftConfig {
  return {
    taskType: project.task_type,
    letters: task.responses.map((response) => response.letter),
    scaleSize: project.task_type === "pairwise" ? project.strength_scale.length : 0,
    allowTies: project.allow_ties,
    criteria: project.criteria,
  };
}

export function useAnnotationSession(projectId: number) {
  const queue = writeQueue();
  const [, setReadyCount] = useState(0);
  const feed = useMemo(() => {
    const created: TaskFeed = new TaskFeed(
      { next: (ahead) => nextTask(projectId, ahead), settled: () => queue.whenIdle() },
      () => {
        const ready = created.ready;
        if (ready) warmMarkdown([...ready.prompt.messages.map((m) => m.content), ...ready.responses.map((r) => r.text)]);
        setReadyCount((n) => n + 1);
      },
    );
    return created;
  }, [projectId, queue]);
  const stopwatch = useRef(new Stopwatch());
  const demoSent = useRef<{ prompt: number; text: string } | null>(null);
  const noticeTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const [project, setProject] = useState<Project | null>(null);
  const [phase, setPhase] = useState<Phase>("loading");
  const [error, setError] = useState("");
  const [task, setTask] = useState<Task | null>(null);
  const [draft, dispatchDraft] = useReducer(draftReducer, null);
  const [demoText, setDemoText] = useState("");
  const [progress, setProgress] = useState<Progress | null>(null);
  const [history, setHistory] = useState<LastAction[]>([]);
  const last = history[0] ?? null;
  const remember = useCallback((entry: LastAction) => setHistory((h) => [entry, ...h].slice(0, HISTORY_MAX)), []);
  const forget = useCallback((entry: LastAction) => setHistory((h) => h.filter((e) => e !== entry)), []);
  const [notice, setNoticeState] = useState<Notice | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [handled, setHandled] = useState(0);
  const [confirmation, setConfirmation] = useState<Confirmation | null>(null);

  const confirm = useCallback((text: string, step: number) => {
    setHandled((n) => Math.max(0, n + step));
    setConfirmation((old) => ({ seq: (old?.seq ?? 0) + 1, text }));
  }, []);

  const notify = useCallback((text: string, kind: Notice["kind"] = "info") => {
    setNoticeState({ text, kind });
    if (noticeTimer.current) clearTimeout(noticeTimer.current);
    noticeTimer.current = setTimeout(() => setNoticeState(null), kind === "error" ? 6000 : 2200);
  }, []);

  const refreshProgress = useCallback(() => {
    getProgress(projectId).then(setProgress).catch(() => undefined);
  }, [projectId]);

  const show = useCallback(
    (next: Task | null, from?: { draft: Draft; demoText: string; timeMs: number }) => {
      setTask(next);
      setProblems([]);
      setPhase(next ? "ready" : "empty");
      stopwatch.current = new Stopwatch(undefined, from?.timeMs ?? 0);
      if (!next || !project) return;
      dispatchDraft({ type: "load", draft: from?.draft ?? newDraft(draftConfig(project, next)) });
      setDemoText(from?.demoText ?? "");
      if (document.visibilityState === "visible") stopwatch.current.start();
      window.scrollTo({ top: 0 });
    },
    [project],
  );

  const fail = useCallback((err: unknown) => {
    if (err instanceof ApiError && err.isAuth) {
      location.assign(loginUrl());
      return;
    }
    setError(err instanceof Error ? err.message : String(err));
    setPhase("error");
  }, []);

  // Load the project first, then the first task (show() needs the project for the draft).
  useEffect(() => {
    getProject(projectId).then(setProject).catch(fail);
    refreshProgress();
  }, [projectId, fail, refreshProgress]);

  useEffect(() => {
    if (!project) return;
    document.title = `${project.name} · Preference Studio`;
    feed.start().then((first) => show(first)).catch(fail);
  }, [project, feed, show, fail]);

  useEffect(() => {
    const onVisibility = () =>
      document.visibilityState === "visible" ? stopwatch.current.start() : stopwatch.current.pause();
    document.addEventListener("visibilitychange", onVisibility);
    return () => document.removeEventListener("visibilitychange", onVisibility);
  }, []);

  const advance = useCallback(async () => {
    setBusy(true);
    if (!feed.ready) setPhase("loading"); // nothing leased ahead: this one waits on the network
    try {
      show(await feed.advance());
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  }, [feed, show, fail]);

  const sendDemonstration = useCallback(
    (current: Task, text: string, timeMs: number) => {
      const trimmed = text.trim();
      const sent = demoSent.current;
      if (!trimmed || (sent && sent.prompt === current.prompt.id && sent.text === trimmed)) return;
      const client_key = newClientKey();
      demoSent.current = { prompt: current.prompt.id, text: trimmed };
      queue
        .enqueue(client_key, `Demonstration for #${current.id}`,
          writes.demonstration({ prompt: current.prompt.id, text: trimmed, client_key, time_spent_ms: timeMs }))
        .catch((err) => notify(`Demonstration not saved: ${err.message}`, "error"));
    },
    [queue, notify],
  );

  const submit = useCallback(() => {
    if (!task || !draft || busy) return;
    const check = checkSubmit(draft);
    if (check.status === "missing") {
      setProblems(check.problems);
      dispatchDraft({ type: "section", index: check.section });
      return;
    }
    if (check.status === "confirm") {
      dispatchDraft({ type: "confirmUnchanged" });
      setProblems(["The order is as presented. Press Enter again to submit it as is."]);
      return;
    }
    const timeMs = stopwatch.current.elapsedMs();
    const client_key = newClientKey();
    const body = toJudgment(draft, { comparison: task.id, time_spent_ms: timeMs, client_key });
    const judgment = queue.enqueue(client_key, `Judgment on #${task.id}`, writes.judgment(body)) as Promise<Judgment>;
    if (project?.collect_demonstrations) sendDemonstration(task, demoText, timeMs);
    const record: LastAction = { kind: "submit", task, draft, demoText, timeMs, judgment, saved: null };
    judgment
      .then((saved) => {
        record.saved = saved;
        setHistory((h) => [...h]); // the entry now knows its judgment: render its edit window
        refreshProgress();
      })
      .catch((err) => notify(`Judgment on #${task.id} not saved: ${err.message}`, "error"));
    remember(record);
    confirm(`✓ #${task.id} submitted`, 1);
    setProgress((p) => p && { ...p, done_today: p.done_today + 1, done_total: p.done_total + 1, remaining: Math.max(0, p.remaining - 1) });
    void advance();
  }, [task, draft, busy, queue, project, demoText, sendDemonstration, refreshProgress, notify, advance]);

  const skip = useCallback(
    (reason: FlagReason | "" = "", note = "") => {
      if (!task || !draft || busy) return;
      const write = queue.enqueue(newClientKey(), `Skip #${task.id}`, writes.skip(task.id, { reason, note }));
      write.then(refreshProgress).catch((err) => notify(`Skip not saved: ${err.message}`, "error"));
      const timeMs = stopwatch.current.elapsedMs();
      remember({ kind: "skip", task, draft, demoText, timeMs, reason, write, at: Date.now() });
      confirm(reason ? `⚑ #${task.id} flagged and skipped` : `#${task.id} skipped`, 1);
      void advance();
    },
    [task, draft, demoText, busy, queue, refreshProgress, notify, advance, confirm],
  );

  const flag = useCallback(
    (reason: FlagReason, note: string, keepJudging: boolean) => {
      if (!task) return;
      const write = queue.enqueue(newClientKey(), `Flag on #${task.id}`, writes.flag(task.id, { reason, note }));
      write.catch((err) => notify(`Flag not saved: ${err.message}`, "error"));
      if (!keepJudging) return skip(reason, note);
      remember({ kind: "flag", task, write, at: Date.now() });
      notify("Flagged — keep judging");
    },
    [task, queue, notify, skip],
  );

  /** Put a reopened task back on screen as it was left; the one shown now waits next in line. */
  const restore = useCallback(
    (reopened: Task, from: Shown, counted: boolean) => {
      feed.reopen(reopened);
      show(reopened, from);
      setHandled((n) => Math.max(0, n - 1));
      if (counted) {
        setProgress((p) => p && { ...p, done_today: Math.max(0, p.done_today - 1), done_total: Math.max(0, p.done_total - 1), remaining: p.remaining + 1 });
      }
      refreshProgress();
    },
    [feed, show, refreshProgress],
  );

  /** Take back `entry` (the last action by default): a judgment or skip comes back on screen as
   * it was left, a flag is withdrawn. */
  const undo = useCallback(async (entry: LastAction | null = last) => {
    if (!entry) {
      notify("Nothing to undo");
      return;
    }
    setBusy(true);
    try {
      // Normally saved within milliseconds; offline, undo must not freeze the screen.
      const done = await Promise.race([entry.kind === "submit" ? entry.judgment : entry.write, delay(3000)]);
      if (!done) {
        notify(`That ${entry.kind} is still being saved; undo once it is`, "error");
        return;
      }
      if (entry.kind === "submit") {
        restore(await undoJudgment((done as Judgment).id), entry, true);
        notify(`Reopened your judgment on #${entry.task.id}`);
      } else if (entry.kind === "skip") {
        restore(await unskipComparison(entry.task.id, entry.reason), entry, false);
        notify(entry.reason ? "Flag withdrawn; the comparison is back" : "The skipped comparison is back");
      } else {
        await withdrawFlag((done as { id: number }).id);
        notify("Flag withdrawn");
      }
      forget(entry);
    } catch (err) {
      const tooLate = err instanceof ApiError && err.status === 409;
      if (tooLate) forget(entry);
      notify(tooLate ? `Cannot undo: ${err.message}` : `Could not undo: ${(err as Error).message}`, "error");
    } finally {
      setBusy(false);
    }
  }, [last, restore, notify, forget]);

  /** A change to the draft from a key or click; clears the "missing" message of a refused submit. */
  const edit = useCallback((action: DraftAction) => {
    dispatchDraft(action);
    setProblems((current) => (current.length ? [] : current));
  }, []);

  const reload = useCallback(() => {
    setPhase("loading");
    feed.advance().then((next) => show(next)).catch(fail);
  }, [feed, show, fail]);

  return {
    project, phase, error, task, draft, dispatchDraft: edit, demoText, setDemoText, progress,
    last, history, notice, problems, busy, upcoming: feed.ready, loadingAhead: feed.loadingAhead,
    itemNumber: handled + 1, confirmation,
    submit, skip, flag, undo, reload, notify,
  };
}

function delay(ms: number): Promise<null> {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms));
}

export type AnnotationSession = ReturnType<typeof useAnnotationSession>;

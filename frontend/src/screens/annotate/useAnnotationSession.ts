// The annotation screen's state and commands: which comparison is shown, the draft judgment on
// it, and submit / skip / flag / undo. Writes go through the app's retry queue; the next
// comparison is leased ahead by the ComparisonFeed so a submit never waits on the network.

import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { getProject, nextComparison } from "../../api";
import { ComparisonFeed, waitingMessage } from "../../logic/comparisonFeed";
import type { QueueStatus } from "../../logic/retryQueue";
import { warmMarkdown } from "../../markdown";
import type { Project } from "../../types";
import { writeQueue } from "../../writeQueue";
import { type ComparisonView, useComparisonView, usePhase } from "./useComparisonView";
import { useFlag, useSkip, useSubmit } from "./useSessionCommands";
import { useSessionStatus } from "./useSessionStatus";
import { useUndo } from "./useUndo";

/** The feed of comparisons for `projectId`; the screen re-renders when one is leased ahead
 * (for the "next ready" hint), and its texts are rendered to markdown before it is shown. */
function useComparisonFeed(projectId: number): ComparisonFeed {
  const queue = writeQueue();
  const [, setReadyCount] = useState(0);
  return useMemo(() => {
    const created: ComparisonFeed = new ComparisonFeed(
      { next: (ahead) => nextComparison(projectId, ahead), settled: () => queue.whenIdle() },
      () => {
        const ready = created.ready;
        if (ready) warmMarkdown([...ready.prompt.messages.map((m) => m.content), ...ready.responses.map((r) => r.text)]);
        setReadyCount((n) => n + 1);
      },
    );
    return created;
  }, [projectId, queue]);
}

/** Whether the browser is online, and the write queue's state: what the pane says while the next
 * comparison waits. When the connection returns, the feed asks again for what failed to load. */
function useConnection(feed: ComparisonFeed) {
  const queue = writeQueue();
  const [online, setOnline] = useState(navigator.onLine);
  const [queueStatus, setQueueStatus] = useState<QueueStatus>(queue.status());
  useEffect(() => queue.subscribe(setQueueStatus), [queue]);
  useEffect(() => {
    const onOnline = () => {
      setOnline(true);
      void feed.prefetch();
    };
    const onOffline = () => setOnline(false);
    window.addEventListener("online", onOnline);
    window.addEventListener("offline", onOffline);
    return () => {
      window.removeEventListener("online", onOnline);
      window.removeEventListener("offline", onOffline);
    };
  }, [feed]);
  return waitingMessage(online, queueStatus);
}

/** The project, loaded once. */
function useProject(projectId: number, fail: (err: unknown) => void): Project | null {
  const [project, setProject] = useState<Project | null>(null);
  useEffect(() => {
    getProject(projectId).then(setProject).catch(fail);
  }, [projectId, fail]);
  return project;
}

/** Once the project is loaded, the first comparison (show() needs the project for the draft). */
function useFirstComparison(project: Project | null, feed: ComparisonFeed, view: ComparisonView) {
  const { fail, show } = view;
  useEffect(() => {
    if (!project) return;
    document.title = `${project.name} · Preference Studio`;
    feed.start().then((first) => show(first)).catch(fail);
  }, [project, feed, show, fail]);
}

/** Move to the next comparison; `busy` while it is on its way. */
function useAdvance(feed: ComparisonFeed, view: ComparisonView, setBusy: (busy: boolean) => void) {
  const { setPhase, show, fail } = view;
  return useCallback(async () => {
    setBusy(true);
    if (!feed.ready) setPhase("loading"); // nothing leased ahead: this one waits on the network
    try {
      show(await feed.advance());
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  }, [feed, show, fail, setPhase, setBusy]);
}

export function useAnnotationSession(projectId: number) {
  const feed = useComparisonFeed(projectId);
  const phase = usePhase();
  const project = useProject(projectId, phase.fail);
  const view = useComparisonView(project, phase);
  useFirstComparison(project, feed, view);
  const waiting = useConnection(feed);
  const status = useSessionStatus(projectId);
  const [busy, setBusy] = useState(false);
  const advance = useAdvance(feed, view, setBusy);
  const parts = { project, queue: writeQueue(), view, status, busy, advance };
  const submit = useSubmit(parts);
  const skip = useSkip(parts);
  const flag = useFlag(parts, skip);
  const undo = useUndo({ feed, view, status, setBusy });
  const reload = () => {
    view.setPhase("loading");
    feed.advance().then((next) => view.show(next)).catch(view.fail);
  };
  return {
    project, phase: view.phase, error: view.error, comparison: view.comparison, draft: view.draft,
    dispatchDraft: view.edit, demoText: view.demoText, setDemoText: view.setDemoText, problems: view.problems,
    ...status, busy, upcoming: feed.ready, ahead: feed.ahead, waiting, submit, skip, flag, undo, reload,
  };
}

export type AnnotationSession = ReturnType<typeof useAnnotationSession>;

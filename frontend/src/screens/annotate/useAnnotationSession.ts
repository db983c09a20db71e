// The annotation screen's state and commands: which comparison is shown, the draft judgment on
// it, and submit / skip / flag / undo. Writes go through the app's retry queue; the next
// comparison is leased ahead by the ComparisonFeed so a submit never waits on the network.

import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { getProject, nextComparison } from "../../api";
import { newClientKey } from "../../ids";
import { ComparisonFeed, comparisonsEndedBy, waitingMessage } from "../../logic/comparisonFeed";
import type { QueueStatus } from "../../logic/retryQueue";
import { openPeerChannel, TabPeers } from "../../logic/tabPeers";
import { warmMarkdown } from "../../markdown";
import { currentSession } from "../../session";
import type { Project } from "../../types";
import { writeQueue } from "../../writeQueue";
import { type ComparisonView, useComparisonView, usePhase } from "./useComparisonView";
import { useFlag, useSkip, useSubmit } from "./useSessionCommands";
import { type SessionStatus, useSessionStatus } from "./useSessionStatus";
import { useUndo } from "./useUndo";

/** The feed of comparisons for `projectId`; the screen re-renders when one is leased ahead
 * (for the "next ready" hint), and its texts are rendered to markdown before it is shown. What
 * the write queue still holds (judged offline, then the tab closed) is finished already. */
function useComparisonFeed(projectId: number): ComparisonFeed {
  const queue = writeQueue();
  const [, setReadyCount] = useState(0);
  return useMemo(() => {
    const created: ComparisonFeed = new ComparisonFeed(
      {
        next: (ahead) => nextComparison(projectId, ahead),
        settled: () => queue.whenIdle(),
        pending: () => comparisonsEndedBy(queue.pendingRequests()),
      },
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
  const { fail, show, finish } = view;
  useEffect(() => {
    if (!project) return;
    document.title = `${project.name} · Preference Studio`;
    // Judged in an earlier page and still queued: its text went with the write, none is kept.
    for (const comparisonId of comparisonsEndedBy(writeQueue().pendingRequests())) finish(comparisonId);
    feed.start().then((first) => show(first)).catch(fail);
  }, [project, feed, show, fail, finish]);
}

/** The annotator's other tabs on this project (logic/tabPeers): a comparison one of them finished
 * is passed over here, moving on at once if it is the one on screen; `openElsewhere` while the
 * one on screen is open in another tab too. */
function useTabPeers(projectId: number, feed: ComparisonFeed, view: ComparisonView, status: SessionStatus, advance: (how?: { catchUp?: boolean }) => Promise<void>) {
  const [, setPeersSeen] = useState(0);
  const latest = useRef({ view, status, advance });
  latest.current = { view, status, advance };
  const peers = useMemo(() => {
    const channel = openPeerChannel(`preference-studio:annotate:${currentSession().username}:${projectId}`);
    return new TabPeers(channel, newClientKey(), {
      finishedElsewhere: (comparisonId) => {
        const { view, status, advance } = latest.current;
        view.finish(comparisonId);
        if (!feed.finishedElsewhere(comparisonId) || view.comparison?.id !== comparisonId) return;
        status.notify(`#${comparisonId} was judged or skipped in another tab: on to the next`);
        void advance({ catchUp: true });
      },
      changed: () => setPeersSeen((n) => n + 1),
    });
  }, [projectId, feed]);
  const shown = view.phase === "ready" ? view.comparison?.id ?? null : null;
  useEffect(() => peers.showing(shown), [peers, shown]);
  useEffect(() => {
    const leave = () => peers.showing(null); // the tab closes (or sleeps in the back-forward cache)
    window.addEventListener("pagehide", leave);
    return () => {
      window.removeEventListener("pagehide", leave);
      peers.close();
    };
  }, [peers]);
  return {
    openElsewhere: shown !== null && peers.openElsewhere(shown),
    announceFinished: useCallback((comparisonId: number) => peers.finished(comparisonId), [peers]),
  };
}

/** Move to the next comparison; `busy` while it is on its way. `catchUp`: the one on screen was
 * finished in another tab, so go where that tab went (ComparisonFeed.catchUp). */
function useAdvance(feed: ComparisonFeed, view: ComparisonView, setBusy: (busy: boolean) => void) {
  const { setPhase, show, fail } = view;
  return useCallback(async ({ catchUp = false }: { catchUp?: boolean } = {}) => {
    setBusy(true);
    if (catchUp || !feed.ready) setPhase("loading"); // waits on the network
    try {
      show(await (catchUp ? feed.catchUp() : feed.advance()));
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
  const { openElsewhere, announceFinished } = useTabPeers(projectId, feed, view, status, advance);
  const parts = { project, queue: writeQueue(), view, status, busy, advance, announceFinished };
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
    ...status, busy, upcoming: feed.ready, ahead: feed.ahead, waiting, openElsewhere, submit, skip, flag, undo, reload,
  };
}

export type AnnotationSession = ReturnType<typeof useAnnotationSession>;

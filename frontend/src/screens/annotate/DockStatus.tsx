// The dock's status line: what is missing or what the keys do, and beside it the last action's
// confirmation, history and undo, whether the next comparison is ready, and which this is.

import { Fragment } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Kbd } from "../../components/Kbd";
import type { AheadState } from "../../logic/comparisonFeed";
import type { Draft } from "../../logic/draft";
import { letterRuns, rankingLetterKeys } from "../../logic/keymap";
import { leaseNotice } from "../../logic/leaseNotice";
import { type LastAction, undoableUntil } from "../../logic/sessionHistory";
import type { AnnotationSession } from "./useAnnotationSession";

export const UNDO_LABEL: Record<LastAction["kind"], string> = { submit: "Undo submit", skip: "Undo skip", flag: "Undo flag" };

/** "Last one for now" only when the server said so: a lease-ahead that got no answer is asked again. */
const AHEAD_LABEL: Record<AheadState, string> = {
  ready: "Next ready", loading: "Loading next…", failed: "Next not loaded yet", none: "Last one for now",
};

export function DockStatus({ session, onHistory }: { session: AnnotationSession; onHistory: () => void }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 5000);
    return () => clearInterval(timer);
  }, []);
  return (
    <>
      <div class="dock-message">
        <DockMessage session={session} />
      </div>
      <DockMeta session={session} onHistory={onHistory} />
    </>
  );
}

function DockMessage({ session }: { session: AnnotationSession }) {
  const { problems, comparison, draft, project } = session;
  const expires = comparison?.lease_expires_at;
  const lease = leaseNotice(expires ? Date.parse(expires) - Date.now() : Infinity, project?.lease_minutes ?? 15);
  if (problems.length > 0) return <span class="problems" role="alert" data-testid="problems">{problems.join(" · ")}</span>;
  if (lease) {
    return <span class="problems" role={lease.kind === "expired" ? "alert" : "status"} data-testid="lease-notice" data-kind={lease.kind}>{lease.text}</span>;
  }
  if (!draft || !project) return null;
  return draft.config.comparisonKind === "ranking" ? <RankingHint draft={draft} canDemonstrate={project.collect_demonstrations} /> : <PairwiseHint draft={draft} />;
}

/** Letters as key caps, a run as its ends: A–E, I. */
function LetterKeys({ letters, shift = false }: { letters: string[]; shift?: boolean }) {
  return (
    <>
      {letterRuns(letters).map(([first, last], i) => (
        <Fragment key={first}>
          {i > 0 && ", "}
          {shift && "⇧"}<kbd>{first.toUpperCase()}</kbd>
          {last !== first && <>–{shift && "⇧"}<kbd>{last.toUpperCase()}</kbd></>}
        </Fragment>
      ))}
    </>
  );
}

/** The letters that select alone, then those that need Shift (their letter alone is a screen key:
 * logic/keymap's rankingLetterKeys). */
function RankingHint({ draft, canDemonstrate }: { draft: Draft; canDemonstrate: boolean }) {
  const { letters } = draft.config;
  const { plain, shifted } = rankingLetterKeys({ letters, criterionCount: draft.criteria.length, canDemonstrate });
  return (
    <span class="hint" data-testid="dock-hint">
      Best first · drag, or select <LetterKeys letters={plain} />
      {shifted.length > 0 && <>, <LetterKeys letters={shifted} shift /></>} or <kbd>1</kbd>–<kbd>{Math.min(letters.length, 9)}</kbd>, then <kbd>←</kbd><kbd>→</kbd>
      {draft.config.allowTies && <> · <kbd>=</kbd> equal to the one above</>}
      {draft.criteria.length > 1 && <> · criteria <kbd>J</kbd><kbd>K</kbd></>} · <kbd>Enter</kbd> submit · <kbd>?</kbd> all keys
    </span>
  );
}

/** One line at 1366 px, criteria included (the rows themselves say they follow the overall verdict). */
function PairwiseHint({ draft }: { draft: Draft }) {
  return (
    <span class="hint" data-testid="dock-hint">
      <kbd>A</kbd>/<kbd>B</kbd> better
      {draft.config.scaleSize > 0 && <> · <kbd>1</kbd>–<kbd>{draft.config.scaleSize}</kbd> how much</>}
      {draft.config.allowTies && <> · <kbd>T</kbd> tie</>}
      {draft.criteria.length > 1 && <> · <kbd>J</kbd><kbd>K</kbd> criterion · <kbd>=</kbd> all as overall</>} · <kbd>Enter</kbd> submit · <kbd>?</kbd> all keys
    </span>
  );
}

function DockMeta({ session, onHistory }: { session: AnnotationSession; onHistory: () => void }) {
  const { last, comparison } = session;
  const editable = last && undoableUntil(last) > Date.now();
  return (
    <div class="dock-meta">
      {session.confirmation && (
        <span
          key={session.confirmation.seq}
          class={`confirmation is-${session.confirmation.tone}`}
          role="status"
          data-testid="confirmation"
          data-tone={session.confirmation.tone}
        >
          {session.confirmation.text}
        </span>
      )}
      {session.history.length > 0 && (
        <button class="btn btn-ghost btn-sm" onClick={onHistory} data-testid="history-button">
          History <Kbd k="H" />
        </button>
      )}
      {editable && (
        <button class="btn btn-ghost btn-sm" onClick={() => void session.undo()} data-testid="undo">
          {/* Named by comparison: after an undo, the next Undo takes back an earlier action. */}
          {UNDO_LABEL[last.kind]} <span class="muted">#{last.comparison.id}</span> <Kbd k="U" />
        </button>
      )}
      <span class={`next-ready${session.upcoming ? " is-ready" : ""}`} title="The next comparison is leased and loaded ahead">
        {AHEAD_LABEL[session.ahead]}
      </span>
      <span class="comparison-number" data-testid="comparison-number" title={`Comparison #${comparison?.id}`}>
        Comparison {session.comparisonNumber} <span class="muted">#{comparison?.id}</span>
      </span>
    </div>
  );
}

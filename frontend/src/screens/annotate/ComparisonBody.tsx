// The workspace: the comparison on screen (conversation, responses, demonstration), or what
// stands in for it while loading, after an error, or when nothing is left.

import type { Ref } from "preact";
import { undoableUntil } from "../../logic/sessionHistory";
import type { Letter } from "../../types";
import { Conversation } from "./Conversation";
import { DemonstrationPanel } from "./DemonstrationPanel";
import { UNDO_LABEL } from "./DockStatus";
import { ResponseGrid } from "./ResponseGrid";
import type { AnnotationSession } from "./useAnnotationSession";

interface Props {
  session: AnnotationSession;
  onCardClick: (letter: Letter) => void;
  demoRef: Ref<HTMLTextAreaElement>;
  contextOpen: boolean;
  onToggleContext: () => void;
}

export function ComparisonBody({ session, onCardClick, demoRef, contextOpen, onToggleContext }: Props) {
  const { phase, project, comparison, draft } = session;
  if (phase === "loading" || (phase === "ready" && (!comparison || !draft || !project))) return <Loading waiting={session.waiting} />;
  if (phase === "error") return <LoadError message={session.error} onRetry={session.reload} />;
  if (phase === "empty" || !comparison || !draft || !project) return <AllDone session={session} />;
  return (
    // Keyed by comparison: the new one mounts afresh, so its short entry animation plays. The outer
    // box (display: contents) is the test hook data-testid="task" issue #19 keeps for tests written against it.
    <div key={comparison.id} class="comparison-hook" data-comparison={comparison.id} data-testid="task">
      <div class="comparison" data-comparison={comparison.id} data-testid="comparison">
        <Conversation messages={comparison.prompt.messages} expanded={contextOpen} onToggle={onToggleContext} />
        <ResponseGrid responses={comparison.responses} scale={project.strength_scale} draft={draft} onCardClick={onCardClick} />
        {project.collect_demonstrations && (
          <DemonstrationPanel text={session.demoText} onInput={session.setDemoText} textareaRef={demoRef} />
        )}
      </div>
    </div>
  );
}

/** Placeholders while the next comparison loads; `waiting` says why it cannot load yet (offline). */
function Loading({ waiting }: { waiting: string | null }) {
  return (
    <div class="loading" aria-busy="true">
      {waiting && <p class="waiting-note problems" role="status" data-testid="waiting">{waiting}</p>}
      <div class="skeleton" style={{ height: "88px" }} />
      <div class="responses k2">
        <div class="skeleton" style={{ height: "320px" }} />
        <div class="skeleton" style={{ height: "320px" }} />
      </div>
    </div>
  );
}

function LoadError({ message, onRetry }: { message: string; onRetry: () => void }) {
  return (
    <div class="error-box" role="alert" data-testid="load-error">
      Could not load the next comparison: {message}{" "}
      <button class="btn btn-sm" onClick={onRetry} data-focus-fallback>Try again</button>{" "}
      <a class="btn btn-ghost btn-sm" href="/" data-nav>Back to projects</a>
    </div>
  );
}

function AllDone({ session }: { session: AnnotationSession }) {
  const { last } = session;
  // The dock (and its Undo) goes with the last comparison: the last action can still be taken back.
  const undoable = last && undoableUntil(last) > Date.now();
  return (
    <div class="empty-state" data-testid="all-done">
      {/* Focus lands here when the last comparison is submitted from the keyboard (useKeptFocus). */}
      <h2 tabIndex={-1} data-focus-fallback>All done here</h2>
      <p>No comparisons are left for you in this project right now. Thank you!</p>
      <p>
        <button class="btn" onClick={session.reload}>Check again</button>{" "}
        {undoable && (
          <>
            <button class="btn" onClick={() => void session.undo()} data-testid="undo">
              {UNDO_LABEL[last.kind]} <span class="muted">#{last.comparison.id}</span>
            </button>{" "}
          </>
        )}
        <a class="btn btn-ghost" href="/" data-nav>Back to projects</a>
      </p>
    </div>
  );
}

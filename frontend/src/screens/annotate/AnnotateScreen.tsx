// The annotation screen: the comparison on screen, the decision dock below it, the guidelines
// beside it, and the overlays (help, flag, history). State and commands live in
// useAnnotationSession; keys in useScreenKeys.

import { render } from "preact";
import { useCallback, useMemo, useRef, useState } from "preact/hooks";
import { SaveStatus } from "../../components/SaveStatus";
import { TopBar } from "../../components/TopBar";
import { keyContextFor, keyHints } from "../../logic/keymap";
import { snippetsFor } from "../../logic/snippets";
import { hrefFor } from "../../router";
import type { Letter, PairwiseWinner } from "../../types";
import "../../styles/annotate.css";
import { ComparisonBody } from "./ComparisonBody";
import { DecisionDock } from "./DecisionDock";
import { DockSide } from "./DockSide";
import { DockStatus } from "./DockStatus";
import { FlagMenu } from "./FlagMenu";
import { GuidelinesPanel } from "./GuidelinesPanel";
import { HelpOverlay } from "./HelpOverlay";
import { HistoryPanel } from "./HistoryPanel";
import { ProgressMeter } from "./ProgressMeter";
import { RejectedNotice } from "./RejectedNotice";
import { type AnnotationSession, useAnnotationSession } from "./useAnnotationSession";
import { useGuidelinesToggle } from "./useGuidelinesToggle";
import { useKeptFocus } from "./useKeptFocus";
import { type Overlay, type ScreenControls, useScreenKeys } from "./useScreenKeys";

export function mountAnnotate(root: HTMLElement, projectId: number): () => void {
  render(<AnnotateScreen projectId={projectId} />, root);
  return () => render(null, root);
}

function AnnotateScreen({ projectId }: { projectId: number }) {
  const session = useAnnotationSession(projectId);
  const { project, comparison, draft } = session;
  const [overlay, setOverlay] = useState<Overlay>("none");
  const [guidelinesOpen, setGuidelinesOpen] = useGuidelinesToggle(projectId);
  // The comparison whose earlier turns are unfolded: the next one starts folded again.
  const [contextOpenFor, setContextOpenFor] = useState<number | null>(null);
  const controls: ScreenControls = {
    session, setOverlay, rationaleRef: useRef<HTMLTextAreaElement>(null), demoRef: useRef<HTMLTextAreaElement>(null),
    toggleGuidelines: () => setGuidelinesOpen(!guidelinesOpen),
    toggleContext: () => comparison && setContextOpenFor(contextOpenFor === comparison.id ? null : comparison.id),
  };
  const keyContext = project && draft ? keyContextFor(project, draft) : null;
  useScreenKeys({ controls, keyContext, overlay });
  const screen = useRef<HTMLDivElement>(null);
  useKeptFocus(screen);
  return (
    <div class={`annotate${guidelinesOpen ? " with-guidelines" : ""}`} ref={screen}>
      <AnnotateTopBar session={session} guidelinesOpen={guidelinesOpen} controls={controls} />
      <div class="annotate-body">
        <div class="work-column">
          <main class="workspace">
            <OpenElsewhere session={session} />
            <ComparisonBody
              session={session}
              onCardClick={(letter) => cardClick(session, letter)}
              demoRef={controls.demoRef}
              contextOpen={!!comparison && contextOpenFor === comparison.id}
              onToggleContext={controls.toggleContext}
            />
          </main>
          <ScreenDock controls={controls} />
        </div>
        {guidelinesOpen && project && <GuidelinesPanel text={project.guidelines} onClose={() => setGuidelinesOpen(false)} />}
      </div>
      <ScreenOverlays overlay={overlay} controls={controls} />
      <Toast session={session} />
    </div>
  );
}

function cardClick(session: AnnotationSession, letter: Letter) {
  if (session.project?.task_type === "ranking") session.dispatchDraft({ type: "rankSelect", letter });
  else session.dispatchDraft({ type: "choose", target: letter as PairwiseWinner });
}

interface TopBarProps {
  session: AnnotationSession;
  guidelinesOpen: boolean;
  controls: ScreenControls;
}

function AnnotateTopBar({ session, guidelinesOpen, controls }: TopBarProps) {
  const { project } = session;
  return (
    <TopBar title={<strong>{project?.name ?? "…"}</strong>}>
      {project?.role === "admin" && (
        <a class="btn btn-ghost btn-sm" href={hrefFor({ name: "dashboard", projectId: project.id, tab: "overview" })} data-nav data-testid="dashboard-link">
          Dashboard
        </a>
      )}
      {(project?.role === "admin" || project?.role === "reviewer") && (
        <a class="btn btn-ghost btn-sm" href={hrefFor({ name: "review", projectId: project.id })} data-nav data-testid="review-link">
          Review
        </a>
      )}
      {project && <RejectedNotice projectId={project.id} scale={project.strength_scale} />}
      <ProgressMeter progress={session.progress} />
      <SaveStatus />
      <button class="btn btn-ghost btn-sm" aria-pressed={guidelinesOpen} onClick={controls.toggleGuidelines}>
        Guidelines <kbd>G</kbd>
      </button>
      <button class="btn btn-ghost btn-sm" onClick={() => controls.setOverlay("help")} data-testid="help-button">
        Shortcuts <kbd>?</kbd>
      </button>
    </TopBar>
  );
}

/** The decision dock, once a comparison is on screen. */
function ScreenDock({ controls }: { controls: ScreenControls }) {
  const { session, setOverlay } = controls;
  const { phase, project, draft, comparison } = session;
  const snippets = useMemo(() => snippetsFor(comparison?.responses ?? []), [comparison]);
  if (phase !== "ready" || !project || !draft || !comparison) return null;
  const status = <DockStatus session={session} onHistory={() => setOverlay("history")} />;
  return (
    <DecisionDock project={project} draft={draft} snippets={snippets} dispatch={session.dispatchDraft} status={status}>
      <DockSide
        draft={draft}
        busy={session.busy}
        rationaleRef={controls.rationaleRef}
        dispatch={session.dispatchDraft}
        onSkip={() => session.skip()}
        onFlag={() => setOverlay("flag")}
        onSubmit={() => session.submit()}
      />
    </DecisionDock>
  );
}

function ScreenOverlays({ overlay, controls }: { overlay: Overlay; controls: ScreenControls }) {
  const { session, setOverlay } = controls;
  const { project, draft } = session;
  const closeOverlay = useCallback(() => setOverlay("none"), [setOverlay]);
  const keyContext = project && draft ? keyContextFor(project, draft) : null;
  const hints = useMemo(
    () => (keyContext ? keyHints(keyContext) : []),
    [keyContext?.comparisonKind, keyContext?.criterionCount, keyContext?.letters.length],
  );
  if (overlay === "help") return <HelpOverlay hints={hints} onClose={closeOverlay} />;
  if (overlay === "history" && project) {
    const reopen = (entry: Parameters<typeof session.undo>[0]) => {
      setOverlay("none");
      void session.undo(entry);
    };
    return <HistoryPanel history={session.history} project={project} onClose={closeOverlay} onReopen={reopen} />;
  }
  if (overlay !== "flag") return null;
  const confirm = (reason: Parameters<typeof session.flag>[0], note: string, keepJudging: boolean) => {
    setOverlay("none");
    session.flag(reason, note, keepJudging);
  };
  return <FlagMenu onClose={closeOverlay} onConfirm={confirm} />;
}

/** The comparison on screen is open in another tab of the annotator's too (leases are the user's,
 * so both tabs are given it): only one of the two judgments can be stored. */
function OpenElsewhere({ session }: { session: AnnotationSession }) {
  if (!session.openElsewhere || !session.comparison) return null;
  return (
    <p class="waiting-note problems" role="status" data-testid="open-elsewhere">
      #{session.comparison.id} is open in another tab too: judge it in one tab only. The other moves on once it is saved.
    </p>
  );
}

function Toast({ session }: { session: AnnotationSession }) {
  if (!session.notice) return null;
  return (
    <div class={`toast${session.notice.kind === "error" ? " toast-error" : ""}`} role="status" data-testid="toast">
      {session.notice.text}
    </div>
  );
}

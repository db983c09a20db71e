import { render } from "preact";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { Kbd } from "../../components/Kbd";
import { SaveStatus } from "../../components/SaveStatus";
import { TopBar } from "../../components/TopBar";
import { hrefFor } from "../../router";
import type { DraftAction } from "../../logic/draft";
import { actionForKey, type KeyAction, type KeyContext, keyHints } from "../../logic/keymap";
import type { Letter, PairwiseWinner, Progress } from "../../types";
import "../../styles/annotate.css";
import { Conversation } from "./Conversation";
import { DecisionDock } from "./DecisionDock";
import { DemonstrationPanel } from "./DemonstrationPanel";
import { FlagMenu } from "./FlagMenu";
import { GuidelinesPanel } from "./GuidelinesPanel";
import { HelpOverlay } from "./HelpOverlay";
import { HistoryPanel } from "./HistoryPanel";
import { ResponseGrid } from "./ResponseGrid";
import { type AnnotationSession, type LastAction, undoableUntil, useAnnotationSession } from "./useAnnotationSession";

const UNDO_LABEL: Record<LastAction["kind"], string> = { submit: "Undo submit", skip: "Undo skip", flag: "Undo flag" };

export function mountAnnotate(root: HTMLElement, projectId: number): () => void {
  render(<AnnotateScreen projectId={projectId} />, root);
  return () => render(null, root);
}

type Overlay = "none" | "help" | "flag" | "history";

function isTextField(element: Element | null): boolean {
  return !!element && (element.matches("input, textarea, select") || (element as HTMLElement).isContentEditable);
}

function AnnotateScreen({ projectId }: { projectId: number }) {
  const session = useAnnotationSession(projectId);
  const { project, phase, task, draft } = session;
  const [overlay, setOverlay] = useState<Overlay>("none");
  const [guidelinesOpen, setGuidelinesOpen] = useGuidelinesToggle(projectId);
  // The task whose earlier turns are unfolded: the next task starts folded again.
  const [contextOpenFor, setContextOpenFor] = useState<number | null>(null);
  const rationaleRef = useRef<HTMLTextAreaElement>(null);
  const demoRef = useRef<HTMLTextAreaElement>(null);

  const act = (action: DraftAction) => session.dispatchDraft(action);
  const closeOverlay = useCallback(() => setOverlay("none"), []);

  const keyContext: KeyContext | null =
    project && draft
      ? {
          taskType: project.task_type,
          letters: draft.config.letters,
          scaleSize: draft.config.scaleSize,
          allowTies: project.allow_ties,
          sectionCount: draft.sections.length,
          canDemonstrate: project.collect_demonstrations,
          inTextField: false,
          rankSelected: draft.selected !== null,
        }
      : null;

  const run = (action: KeyAction) => {
    switch (action.type) {
      case "choose": case "strength": case "rankSelect": case "rankSelectAt": case "rankMove": case "sectionStep": case "followOverall":
        return act(action);
      case "rankDeselect": return act({ type: "rankSelect", letter: null });
      case "submit": return session.submit();
      case "skip": return session.skip();
      case "flag": return setOverlay("flag");
      case "undo": return void session.undo();
      case "help": return setOverlay("help");
      case "history": return setOverlay("history");
      case "guidelines": return setGuidelinesOpen(!guidelinesOpen);
      case "toggleContext": return task && setContextOpenFor(contextOpenFor === task.id ? null : task.id);
      case "focusRationale": return rationaleRef.current?.focus();
      case "focusDemonstration":
        demoRef.current?.focus();
        return demoRef.current?.scrollIntoView({ block: "center", behavior: "smooth" });
      case "blur": return (document.activeElement as HTMLElement | null)?.blur();
    }
  };

  // One listener for the whole screen; it reads the latest render through a ref.
  const latest = useRef({ run, keyContext, overlay, phase });
  latest.current = { run, keyContext, overlay, phase };
  useLayoutEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const { run: handle, keyContext: ctx, overlay: open, phase: now } = latest.current;
      if (open === "flag" || open === "history") return; // these have their own keys
      if (open === "help") {
        if (event.key === "Escape" || event.key === "?") {
          event.preventDefault();
          setOverlay("none");
        }
        return;
      }
      if (!ctx || now !== "ready") return;
      const action = actionForKey(event, { ...ctx, inTextField: isTextField(event.target as Element) });
      if (!action) return;
      event.preventDefault();
      if (event.repeat && (action.type === "submit" || action.type === "skip" || action.type === "undo")) return;
      handle(action);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  const snippets = useMemo(() => snippetsFor(task?.responses ?? []), [task]);
  const hints = useMemo(() => (keyContext ? keyHints(keyContext) : []), [keyContext?.taskType, keyContext?.sectionCount, keyContext?.letters.length]);

  return (
    <div class={`annotate${guidelinesOpen ? " with-guidelines" : ""}`}>
      <TopBar title={<strong>{project?.name ?? "…"}</strong>}>
        {project?.role === "admin" && (
          <a class="btn btn-ghost btn-sm" href={hrefFor({ name: "dashboard", projectId: project.id, tab: "overview" })} data-nav data-testid="dashboard-link">
            Dashboard
          </a>
        )}
        <ProgressMeter progress={session.progress} />
        <SaveStatus />
        <button class="btn btn-ghost btn-sm" aria-pressed={guidelinesOpen} onClick={() => setGuidelinesOpen(!guidelinesOpen)}>
          Guidelines <kbd>G</kbd>
        </button>
        <button class="btn btn-ghost btn-sm" onClick={() => setOverlay("help")} data-testid="help-button">
          Shortcuts <kbd>?</kbd>
        </button>
      </TopBar>
      <div class="annotate-body">
        <div class="work-column">
          <main class="workspace">
            <Body
              session={session}
              onCardClick={(letter) => cardClick(session, letter)}
              demoRef={demoRef}
              contextOpen={!!task && contextOpenFor === task.id}
              onToggleContext={() => run({ type: "toggleContext" })}
            />
          </main>
          {phase === "ready" && project && draft && task && (
            <DecisionDock project={project} draft={draft} snippets={snippets} dispatch={act} status={<DockStatus session={session} onHistory={() => setOverlay("history")} />}>
              <div class="dock-side">
                <textarea
                  ref={rationaleRef}
                  class={`rationale${draft.rationale ? " has-text" : ""}`}
                  data-testid="rationale"
                  placeholder="Rationale (optional) — R"
                  rows={1}
                  value={draft.rationale}
                  onInput={(event) => act({ type: "rationale", text: (event.target as HTMLTextAreaElement).value })}
                />
                <div class="dock-actions">
                  <button class="btn" onClick={() => session.skip()} data-testid="skip">Skip <Kbd k="S" /></button>
                  <button class="btn" onClick={() => setOverlay("flag")} data-testid="flag">Flag <Kbd k="F" /></button>
                  <button class="btn btn-primary submit" onClick={() => session.submit()} data-testid="submit" disabled={session.busy}>
                    Submit <Kbd k="Enter" />
                  </button>
                </div>
              </div>
            </DecisionDock>
          )}
        </div>
        {guidelinesOpen && project && <GuidelinesPanel text={project.guidelines} onClose={() => setGuidelinesOpen(false)} />}
      </div>
      {overlay === "help" && <HelpOverlay hints={hints} onClose={() => setOverlay("none")} />}
      {overlay === "history" && project && (
        <HistoryPanel
          history={session.history}
          project={project}
          onClose={closeOverlay}
          onReopen={(entry) => {
            setOverlay("none");
            void session.undo(entry);
          }}
        />
      )}
      {overlay === "flag" && (
        <FlagMenu
          onClose={() => setOverlay("none")}
          onConfirm={(reason, note, keepJudging) => {
            setOverlay("none");
            session.flag(reason, note, keepJudging);
          }}
        />
      )}
      {session.notice && (
        <div class={`toast${session.notice.kind === "error" ? " toast-error" : ""}`} role="status" data-testid="toast">
          {session.notice.text}
        </div>
      )}
    </div>
  );
}

function cardClick(session: AnnotationSession, letter: Letter) {
  if (session.project?.task_type === "ranking") session.dispatchDraft({ type: "rankSelect", letter });
  else session.dispatchDraft({ type: "choose", target: letter as PairwiseWinner });
}

interface BodyProps {
  session: AnnotationSession;
  onCardClick: (letter: Letter) => void;
  demoRef: preact.Ref<HTMLTextAreaElement>;
  contextOpen: boolean;
  onToggleContext: () => void;
}

function Body({ session, onCardClick, demoRef, contextOpen, onToggleContext }: BodyProps) {
  const { phase, project, task, draft } = session;
  if (phase === "loading" || (phase === "ready" && (!task || !draft || !project))) {
    return (
      <div class="loading" aria-busy="true">
        <div class="skeleton" style={{ height: "88px" }} />
        <div class="responses k2">
          <div class="skeleton" style={{ height: "320px" }} />
          <div class="skeleton" style={{ height: "320px" }} />
        </div>
      </div>
    );
  }
  if (phase === "error") {
    return (
      <div class="error-box" role="alert">
        Could not load the next comparison: {session.error}{" "}
        <button class="btn btn-sm" onClick={session.reload}>Try again</button>
      </div>
    );
  }
  if (phase === "empty" || !task || !draft || !project) {
    return (
      <div class="empty-state" data-testid="all-done">
        <h2>All done here</h2>
        <p>No comparisons are left for you in this project right now. Thank you!</p>
        <p>
          <button class="btn" onClick={session.reload}>Check again</button>{" "}
          <a class="btn btn-ghost" href="/" data-nav>Back to projects</a>
        </p>
      </div>
    );
  }
  return (
    // Keyed by task: the new task mounts afresh, so its short entry animation plays.
    <div key={task.id} class="task" data-comparison={task.id} data-testid="task">
      <Conversation messages={task.prompt.messages} expanded={contextOpen} onToggle={onToggleContext} />
      <ResponseGrid responses={task.responses} scale={project.strength_scale} draft={draft} onCardClick={onCardClick} />
      {project.collect_demonstrations && (
        <DemonstrationPanel text={session.demoText} onInput={session.setDemoText} textareaRef={demoRef} />
      )}
    </div>
  );
}

function DockStatus({ session, onHistory }: { session: AnnotationSession; onHistory: () => void }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 5000);
    return () => clearInterval(timer);
  }, []);
  const { problems, last, task, draft } = session;
  const leaseLeft = task ? Date.parse(task.lease_expires_at) - Date.now() : Infinity;
  const editable = last && undoableUntil(last) > Date.now();
  return (
    <>
      <div class="dock-message">
        {problems.length > 0 ? (
          <span class="problems" role="alert" data-testid="problems">{problems.join(" · ")}</span>
        ) : leaseLeft < 120_000 ? (
          <span class="problems">Your hold on this comparison ends in {Math.max(0, Math.round(leaseLeft / 60_000))} min — submit soon.</span>
        ) : draft?.config.taskType === "ranking" ? (
          <span class="hint">
            Best first · drag, or select <kbd>A</kbd>–<kbd>{draft.config.letters.at(-1)?.toUpperCase()}</kbd> or <kbd>1</kbd>–<kbd>{draft.config.letters.length}</kbd> and move <kbd>←</kbd><kbd>→</kbd>
            {draft.sections.length > 1 && <> · criteria <kbd>J</kbd><kbd>K</kbd></>} · <kbd>Enter</kbd> submit · <kbd>?</kbd> all keys
          </span>
        ) : (
          <span class="hint">
            <kbd>A</kbd>/<kbd>B</kbd> better
            {draft && draft.config.scaleSize > 0 && <> · <kbd>1</kbd>–<kbd>{draft.config.scaleSize}</kbd> how much</>}
            {draft?.config.allowTies && <> · <kbd>T</kbd> tie</>}
            {draft && draft.sections.length > 1 && <> · criteria follow overall; change one with <kbd>J</kbd><kbd>K</kbd>, <kbd>=</kbd> all as overall</>} · <kbd>Enter</kbd> submit · <kbd>?</kbd> all keys
          </span>
        )}
      </div>
      <div class="dock-meta">
        {session.confirmation && (
          <span key={session.confirmation.seq} class="confirmation" role="status" data-testid="confirmation">
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
            {UNDO_LABEL[last.kind]} <Kbd k="U" />
          </button>
        )}
        <span class={`next-ready${session.upcoming ? " is-ready" : ""}`} title="The next comparison is leased and loaded ahead">
          {session.upcoming ? "Next ready" : session.loadingAhead ? "Loading next…" : "Last one for now"}
        </span>
        <span class="item-number" data-testid="item-number" title={`Comparison #${task?.id}`}>
          Item {session.itemNumber} <span class="muted">#{task?.id}</span>
        </span>
      </div>
    </>
  );
}

function ProgressMeter({ progress }: { progress: Progress | null }) {
  if (!progress) return null;
  const total = progress.done_total + progress.remaining;
  const share = total ? (100 * progress.done_total) / total : 0;
  return (
    <div class="progress-meter" data-testid="progress" title={`${progress.done_total} done in total`}>
      <span><strong>{progress.done_today}</strong> today</span>
      <span class="progress-bar"><span style={{ width: `${share}%` }} /></span>
      <span><strong>{progress.remaining}{progress.remaining_capped ? "+" : ""}</strong> left</span>
    </div>
  );
}

function snippetsFor(responses: { letter: Letter; text: string }[]): Record<Letter, string> {
  const result: Record<Letter, string> = {};
  for (const { letter, text } of responses) {
    const plain = text.replace(/```[\s\S]*?```/g, " [code] ").replace(/[#*_>`~[\]]/g, "").replace(/\s+/g, " ").trim();
    result[letter] = plain.length > 64 ? `${plain.slice(0, 62)}…` : plain;
  }
  return result;
}

/** The widest screen that gets the phone layout (annotate.css's breakpoint). */
const PHONE_WIDTH = 720;

/** Guidelines start open on a project's first visit; after that the annotator's choice sticks
 * (on phones they start closed: there they are a sheet that covers the task). */
function useGuidelinesToggle(projectId: number): [boolean, (open: boolean) => void] {
  const key = `preference-studio:guidelines-open:${projectId}`;
  const [open, setOpen] = useState(() => {
    if (window.innerWidth <= PHONE_WIDTH) return false; // a sheet over the task: opened on demand
    try {
      const stored = localStorage.getItem(key);
      return stored === null ? window.innerWidth >= 1280 : stored === "1";
    } catch {
      return false;
    }
  });
  const set = (value: boolean) => {
    setOpen(value);
    try {
      localStorage.setItem(key, value ? "1" : "0");
    } catch {
      // private mode: the choice lasts for this page only
    }
  };
  return [open, set];
}

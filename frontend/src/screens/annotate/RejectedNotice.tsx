import { useEffect, useRef, useState } from "preact/hooks";
import { listRejectedJudgments } from "../../api";
import { ago } from "../../logic/format";
import { verdictText } from "../../logic/reviewQuery";
import type { RejectedJudgment } from "../../types";

const RECHECK_MS = 5 * 60_000; // reviews come in slowly; a look every few minutes is enough

/** "2 rejected" in the top bar when reviewers rejected judgments of the annotator's, opening the
 * list of what was rejected and why. Nothing at all while none were. */
export function RejectedNotice({ projectId, scale }: { projectId: number; scale: string[] }) {
  const rejected = useRejected(projectId);
  const [open, setOpen] = useState(false);
  const toggle = useRef<HTMLButtonElement>(null);
  // A disclosure, not a dialog: it holds no focus, and Tab goes on into it from its button. Closing
  // it from inside (Close, Esc) puts focus back on the button rather than on nothing.
  const close = () => {
    setOpen(false);
    toggle.current?.focus();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== "Escape") return;
    event.stopPropagation(); // the screen's Esc (leave the field) is not meant
    close();
  };
  if (rejected.length === 0) return null;
  return (
    <div class="rejected-notice" onKeyDown={open ? onKeyDown : undefined}>
      <button
        ref={toggle}
        class="btn btn-ghost btn-sm rejected-count"
        aria-expanded={open}
        aria-controls="rejected-list"
        onClick={() => setOpen(!open)}
        data-testid="rejected-notice"
      >
        {rejected.length} rejected
      </button>
      {open && (
        <div class="rejected-list" id="rejected-list" role="region" aria-label="Rejected judgments" data-testid="rejected-list">
          <p class="muted">A reviewer rejected these judgments of yours; they no longer count.</p>
          <ul>
            {rejected.map((judgment) => <RejectedItem key={judgment.id} judgment={judgment} scale={scale} />)}
          </ul>
          <button class="btn btn-sm" onClick={close}>Close</button>
        </div>
      )}
    </div>
  );
}

function RejectedItem({ judgment, scale }: { judgment: RejectedJudgment; scale: string[] }) {
  const question = judgment.comparison.prompt.messages.find((m) => m.role === "user")?.content ?? "";
  return (
    <li data-testid="rejected-item">
      <div class="rejected-question">{question.length > 120 ? `${question.slice(0, 120)}…` : question}</div>
      <div class="muted">
        You said {verdictText(judgment, scale)} · rejected {ago(judgment.reviewed_at)}
      </div>
      <div class="rejected-note" data-testid="rejected-note">{judgment.review_note}</div>
    </li>
  );
}

function useRejected(projectId: number): RejectedJudgment[] {
  const [rejected, setRejected] = useState<RejectedJudgment[]>([]);
  useEffect(() => {
    let live = true;
    const load = () => listRejectedJudgments(projectId).then((list) => live && setRejected(list), () => undefined);
    load();
    const timer = window.setInterval(load, RECHECK_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [projectId]);
  return rejected;
}

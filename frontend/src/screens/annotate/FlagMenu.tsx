import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { Kbd } from "../../components/Kbd";
import { flagMenuAction } from "../../logic/keymap";
import type { FlagReason } from "../../types";
import { useDialogFocus } from "./useDialogFocus";

export const FLAG_REASONS: { reason: FlagReason; label: string; help: string }[] = [
  { reason: "unsafe", label: "Unsafe content", help: "Harmful, illegal or disturbing material" },
  { reason: "both_bad", label: "All responses bad", help: "None is acceptable, so no preference means anything" },
  { reason: "broken_prompt", label: "Broken prompt", help: "Garbled, truncated or impossible to answer" },
  { reason: "other", label: "Other", help: "Say what in the note" },
];

interface Props {
  onConfirm: (reason: FlagReason, note: string, keepJudging: boolean) => void;
  onClose: () => void;
}

/**
 * The menu's keys on the document, in the capture phase so the screen's own keys do not see them.
 * A layout effect, not useEffect: the listener must be in place by the time the menu is on
 * screen, or a key pressed at once (a fast annotator, a test) is lost.
 */
function useFlagKeys({ onConfirm, onClose }: Props, index: number, note: string, setIndex: (index: number) => void) {
  const latest = useRef({ index, note });
  latest.current = { index, note };
  useLayoutEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const inText = (event.target as HTMLElement).tagName === "INPUT";
      const action = flagMenuAction(event, FLAG_REASONS.length, inText);
      if (!action) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      if (action.type === "close") onClose();
      else if (action.type === "reason") setIndex(action.index);
      else onConfirm(FLAG_REASONS[latest.current.index].reason, latest.current.note, action.keepJudging);
    };
    document.addEventListener("keydown", onKey, true);
    return () => document.removeEventListener("keydown", onKey, true);
  }, [onClose, onConfirm]);
}

/** 1–4 choose a reason, Enter flags and skips, Shift+Enter flags and keeps judging, Esc cancels. */
export function FlagMenu(props: Props) {
  const { onConfirm, onClose } = props;
  const [index, setIndex] = useState(0);
  const [note, setNote] = useState("");
  const dialog = useDialogFocus<HTMLDivElement>(); // focus in, Tab kept inside, back where it was on close
  useFlagKeys(props, index, note, setIndex);
  const confirm = (keepJudging: boolean) => onConfirm(FLAG_REASONS[index].reason, note, keepJudging);
  return (
    <div class="overlay" onClick={(event) => event.target === event.currentTarget && onClose()}>
      <div class="dialog flag-dialog" role="dialog" aria-modal="true" aria-labelledby="flag-title" tabIndex={-1} ref={dialog} data-testid="flag-menu">
        <h2 id="flag-title">Flag this comparison</h2>
        <FlagReasons index={index} setIndex={setIndex} />
        <input
          class="flag-note"
          type="text"
          placeholder="Note for the admins (optional)"
          aria-label="Note for the admins (optional)"
          value={note}
          maxLength={2000}
          onInput={(event) => setNote((event.target as HTMLInputElement).value)}
        />
        <div class="dialog-actions">
          <button type="button" class="btn btn-ghost" onClick={onClose}>Cancel <Kbd k="Esc" /></button>
          <button type="button" class="btn" onClick={() => confirm(true)}>
            Flag, keep judging <Kbd k="⇧ Enter" />
          </button>
          <button type="button" class="btn btn-primary" data-testid="flag-skip" onClick={() => confirm(false)}>
            Flag &amp; skip <Kbd k="Enter" />
          </button>
        </div>
      </div>
    </div>
  );
}

function FlagReasons({ index, setIndex }: { index: number; setIndex: (index: number) => void }) {
  return (
    <div class="flag-options" role="radiogroup" aria-label="Reason">
      {FLAG_REASONS.map((option, i) => (
        <label key={option.reason} class={`flag-option${i === index ? " is-on" : ""}`}>
          <input type="radio" name="flag-reason" checked={i === index} onChange={() => setIndex(i)} class="visually-hidden" />
          <Kbd k={String(i + 1)} />
          <span class="flag-text">
            <strong>{option.label}</strong>
            <span>{option.help}</span>
          </span>
        </label>
      ))}
    </div>
  );
}

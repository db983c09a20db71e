// The annotation screen's keyboard: one listener for the whole screen, mapping a key press
// (logic/keymap) to a command on the session or the screen.

import type { RefObject } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import { actionForKey, type KeyAction, type KeyContext } from "../../logic/keymap";
import type { AnnotationSession } from "./useAnnotationSession";

export type Overlay = "none" | "help" | "flag" | "history";

/** What a key can act on besides the session. */
export interface ScreenControls {
  session: AnnotationSession;
  setOverlay: (overlay: Overlay) => void;
  toggleGuidelines: () => void;
  toggleContext: () => void;
  rationaleRef: RefObject<HTMLTextAreaElement>;
  demoRef: RefObject<HTMLTextAreaElement>;
}

export function runKeyAction(action: KeyAction, controls: ScreenControls): void {
  const { session, setOverlay } = controls;
  switch (action.type) {
    case "choose": case "strength": case "rankSelect": case "rankSelectAt": case "rankMove": case "rankTie": case "criterionStep": case "followOverall":
      return session.dispatchDraft(action);
    case "rankDeselect": return session.dispatchDraft({ type: "rankSelect", letter: null });
    case "submit": return session.submit();
    case "skip": return session.skip();
    case "flag": return setOverlay("flag");
    case "undo": return void session.undo();
    case "help": return setOverlay("help");
    case "history": return setOverlay("history");
    case "guidelines": return controls.toggleGuidelines();
    case "toggleContext": return controls.toggleContext();
    case "focusRationale": return controls.rationaleRef.current?.focus();
    case "focusDemonstration":
      controls.demoRef.current?.focus();
      return controls.demoRef.current?.scrollIntoView({ block: "center", behavior: "smooth" });
    case "blur": return (document.activeElement as HTMLElement | null)?.blur();
  }
}

function isTextField(element: Element | null): boolean {
  return !!element && (element.matches("input, textarea, select") || (element as HTMLElement).isContentEditable);
}

/** What the listener reads from the latest render. */
interface KeyState {
  controls: ScreenControls;
  keyContext: KeyContext | null;
  overlay: Overlay;
}

function onKey(event: KeyboardEvent, { controls, keyContext, overlay }: KeyState): void {
  if (overlay === "flag" || overlay === "history") return; // these have their own keys
  if (overlay === "help") {
    if (event.key === "Escape" || event.key === "?") {
      event.preventDefault();
      controls.setOverlay("none");
    }
    return;
  }
  if (!keyContext || controls.session.phase !== "ready") return;
  const action = actionForKey(event, { ...keyContext, inTextField: isTextField(event.target as Element) });
  if (!action) return;
  event.preventDefault();
  if (event.repeat && (action.type === "submit" || action.type === "skip" || action.type === "undo")) return;
  runKeyAction(action, controls);
}

/** One keydown listener for the whole screen; it reads the latest render through a ref. */
export function useScreenKeys(state: KeyState): void {
  const latest = useRef(state);
  latest.current = state;
  useLayoutEffect(() => {
    const listener = (event: KeyboardEvent) => onKey(event, latest.current);
    document.addEventListener("keydown", listener);
    return () => document.removeEventListener("keydown", listener);
  }, []);
}

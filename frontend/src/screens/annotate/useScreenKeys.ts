// The annotation screen's keyboard: one listener for the whole screen, mapping a key press
// (logic/keymap) to a command on the session or the screen.

import type { RefObject } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import { actionForKey, allDoneAction, type KeyAction, type KeyContext } from "../../logic/keymap";
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

/** What Enter or Space presses when it has focus. */
const CONTROL = "button, a[href], summary, [role=button], [role=link], [role=checkbox], [role=radio], [role=switch], [role=tab], [role=menuitem], [role=option]";

/** Focus is on a control the keyboard got to, which then owns Enter and Space. Not one the mouse
 * (or a finger) pressed since the last Tab: a click leaves focus on the button it pressed, without
 * a focus ring, and the annotator who clicked "A much better" and presses Enter means Submit. */
function onKeyboardControl(element: Element | null, pointerPressed: Element | null): boolean {
  const control = element?.closest(CONTROL);
  return !!control && control !== pointerPressed;
}

/** What the listener reads from the latest render. */
interface KeyState {
  controls: ScreenControls;
  keyContext: KeyContext | null;
  overlay: Overlay;
}

function onKey(event: KeyboardEvent, { controls, keyContext, overlay }: KeyState, pointerPressed: Element | null): void {
  if (overlay === "flag" || overlay === "history") return; // these have their own keys
  if (overlay === "help") {
    if (event.key === "Escape" || event.key === "?") {
      event.preventDefault();
      controls.setOverlay("none");
    }
    return;
  }
  const target = event.target as Element;
  if (controls.session.phase === "empty") {
    const undo = allDoneAction(event, isTextField(target));
    if (undo && !event.repeat) {
      event.preventDefault();
      runKeyAction(undo, controls);
    }
    return;
  }
  if (!keyContext || controls.session.phase !== "ready") return;
  const action = actionForKey(event, { ...keyContext, inTextField: isTextField(target), onControl: onKeyboardControl(target, pointerPressed) });
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
    let pointerPressed: Element | null = null; // the control the pointer last pressed, until the next Tab
    const onPointerDown = (event: PointerEvent) => {
      pointerPressed = (event.target as Element | null)?.closest?.(CONTROL) ?? null;
    };
    const listener = (event: KeyboardEvent) => {
      if (event.key === "Tab") pointerPressed = null; // focus moves by keyboard from here on
      onKey(event, latest.current, pointerPressed);
    };
    document.addEventListener("keydown", listener);
    document.addEventListener("pointerdown", onPointerDown, true);
    return () => {
      document.removeEventListener("keydown", listener);
      document.removeEventListener("pointerdown", onPointerDown, true);
    };
  }, []);
}

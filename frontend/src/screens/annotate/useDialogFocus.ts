// A modal dialog's focus, as the flag menu keeps it: focus moves into the dialog when it opens, Tab
// and Shift+Tab go round the dialog's own controls (never the page behind it, which aria-modal tells
// a screen reader is not there), and focus goes back where it was when the dialog closes.

import type { RefObject } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";

/** What Tab stops at. */
const TABBABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";

/** The dialog's controls Tab stops at, in order (none hidden). */
function tabbable(dialog: HTMLElement): HTMLElement[] {
  return ([...dialog.querySelectorAll(TABBABLE)] as HTMLElement[]).filter((element) => element.getClientRects().length > 0);
}

/** The next stop for Tab (`back`: Shift+Tab) from `active`, going round; the dialog itself when
 * it has no controls. */
function nextStop(dialog: HTMLElement, active: Element | null, back: boolean): HTMLElement {
  const stops = tabbable(dialog);
  if (stops.length === 0) return dialog;
  const at = stops.indexOf(active as HTMLElement);
  if (at === -1) return back ? stops[stops.length - 1] : stops[0]; // from the dialog itself, or from outside it
  return stops[(at + (back ? -1 : 1) + stops.length) % stops.length];
}

/**
 * Give the returned ref to the dialog's box (with tabIndex={-1}, so that it can hold focus).
 * A layout effect, like the flag menu's: focus is inside by the time the dialog is on screen, so a
 * key pressed at once goes to it. The Tab listener is on the document in the capture phase: Tab
 * from anywhere (focus left on the backdrop, say) comes back into the dialog.
 */
export function useDialogFocus<T extends HTMLElement>(): RefObject<T> {
  const dialog = useRef<T>(null);
  useLayoutEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    dialog.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "Tab" || !dialog.current) return;
      event.preventDefault();
      nextStop(dialog.current, document.activeElement, event.shiftKey).focus();
    };
    document.addEventListener("keydown", onKey, true);
    return () => {
      document.removeEventListener("keydown", onKey, true);
      // Back to what had focus (the History button, say), if it is still on the page.
      if (opener && opener !== document.body && opener.isConnected) opener.focus({ preventScroll: true });
    };
  }, []);
  return dialog;
}

// Focus is never dropped on the page's body by the annotation screen itself. A submit, skip or undo
// re-renders the screen: the control the keyboard was on can leave it (the dock while the next
// comparison loads, the Undo button once there is nothing left to undo, every control when the last
// comparison is done), or move (a ranking chip moved with the arrow keys is taken out of the list and
// put back, which blurs it). Focus on <body> sends the next Tab to the top of the page and leaves a
// screen reader with nothing to say. Here, after each render of the screen: a control that moved gets
// focus back; one that left is replaced by the control of the same test id once one is on screen
// (Submit, Skip, Undo), else by the screen's [data-focus-fallback] (the dock, or "All done").
// Only for keyboard users: a mouse user's focus is left alone, so that Enter after a click still
// submits (logic in useScreenKeys), and text fields hand over to the fallback, never to the next
// comparison's box, where the next letter would be typed instead of choosing.

import { useLayoutEffect, useRef } from "preact/hooks";

/** What the screen had focused when it began to render, and what focus is owed to since. */
interface Kept {
  had: HTMLElement | null;
  /** A test id to give focus to once on screen; "" for the fallback; null when nothing is owed. */
  owed: string | null;
  keyboard: boolean;
}

const FALLBACK = "[data-focus-fallback]";

function isTextField(element: Element): boolean {
  return element.matches("input, textarea, select") || (element as HTMLElement).isContentEditable;
}

function focusedIn(root: Element | null): HTMLElement | null {
  const active = document.activeElement as HTMLElement | null;
  return active && active !== document.body && root?.contains(active) ? active : null;
}

/** Give the ref to the screen's root element; call on every render of the screen. */
export function useKeptFocus(root: { current: HTMLElement | null }): void {
  const kept = useRef<Kept>({ had: null, owed: null, keyboard: false });
  kept.current.had = focusedIn(root.current); // read as the render begins, before anything is removed
  useLayoutEffect(() => {
    const onKey = () => (kept.current.keyboard = true);
    const onPointer = () => (kept.current.keyboard = false);
    document.addEventListener("keydown", onKey, true);
    document.addEventListener("pointerdown", onPointer, true);
    return () => {
      document.removeEventListener("keydown", onKey, true);
      document.removeEventListener("pointerdown", onPointer, true);
    };
  }, []);
  useLayoutEffect(() => {
    const state = kept.current;
    if (document.activeElement && document.activeElement !== document.body) {
      state.owed = null; // focus is somewhere (the annotator's choice, or a dialog's): nothing owed
      return;
    }
    const { had } = state;
    // A dialog gives focus back itself, to what opened it.
    if (had && state.keyboard && !had.closest("[role=dialog]")) {
      if (had.isConnected) {
        had.focus({ preventScroll: true }); // moved, not gone
        return;
      }
      state.owed = isTextField(had) ? "" : (had.dataset.testid ?? "");
    }
    if (state.owed === null) return;
    const target = (state.owed && root.current?.querySelector<HTMLElement>(`[data-testid="${state.owed}"]`)) || root.current?.querySelector<HTMLElement>(FALLBACK);
    if (!target) return; // still loading: owed until the next render
    target.focus({ preventScroll: true });
    state.owed = null;
  });
}

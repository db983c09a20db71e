import { Kbd } from "../../components/Kbd";
import type { KeyHint } from "../../logic/keymap";
import { useDialogFocus } from "./useDialogFocus";

/** The keys, as a modal dialog: focus moves in and stays inside; ? or Esc (the screen's keys) closes
 * it, and focus goes back where it was. */
export function HelpOverlay({ hints, onClose }: { hints: KeyHint[]; onClose: () => void }) {
  const dialog = useDialogFocus<HTMLDivElement>();
  return (
    <div class="overlay" onClick={(event) => event.target === event.currentTarget && onClose()}>
      <div class="dialog help-dialog" role="dialog" aria-modal="true" aria-labelledby="help-title" tabIndex={-1} ref={dialog} data-testid="help">
        <h2 id="help-title">Keyboard shortcuts</h2>
        <dl class="help-list">
          {hints.map((hint) => (
            <div class="help-row" key={hint.label}>
              <dt>
                {hint.keys.map((key) => (
                  <kbd key={key}>{key}</kbd>
                ))}
              </dt>
              <dd>{hint.label}</dd>
            </div>
          ))}
        </dl>
        <p class="help-foot">Everything also works with the mouse. Press <kbd>?</kbd> or <kbd>Esc</kbd> to close.</p>
        <div class="dialog-actions">
          <button type="button" class="btn btn-ghost" onClick={onClose} data-testid="help-close">Close <Kbd k="Esc" /></button>
        </div>
      </div>
    </div>
  );
}

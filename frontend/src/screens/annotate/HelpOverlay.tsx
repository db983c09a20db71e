import type { KeyHint } from "../../logic/keymap";

export function HelpOverlay({ hints, onClose }: { hints: KeyHint[]; onClose: () => void }) {
  return (
    <div class="overlay" onClick={(event) => event.target === event.currentTarget && onClose()}>
      <div class="dialog help-dialog" role="dialog" aria-modal="true" aria-labelledby="help-title" data-testid="help">
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
      </div>
    </div>
  );
}

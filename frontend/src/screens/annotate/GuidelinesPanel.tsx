import { Markdown } from "../../components/Markdown";

export function GuidelinesPanel({ text, onClose }: { text: string; onClose: () => void }) {
  return (
    <aside class="guidelines" aria-label="Guidelines" data-testid="guidelines">
      <header class="guidelines-head">
        <h2>Guidelines</h2>
        <button class="btn btn-ghost btn-sm" onClick={onClose} title="Hide guidelines (G)">
          Hide <kbd>G</kbd>
        </button>
      </header>
      {text.trim() ? (
        <Markdown text={text} trust="guidelines" class="guidelines-body" />
      ) : (
        <p class="muted">This project has no guidelines yet.</p>
      )}
    </aside>
  );
}

import type { Ref } from "preact";

interface Props {
  text: string;
  onInput: (text: string) => void;
  textareaRef: Ref<HTMLTextAreaElement>;
}

/** SFT data: the annotator's own ideal answer to the prompt, sent along with the judgment. */
export function DemonstrationPanel({ text, onInput, textareaRef }: Props) {
  return (
    <section class="demo" aria-label="Ideal response">
      <header class="demo-head">
        <h2>Write the ideal response</h2>
        <span class="muted">
          Optional · <kbd>W</kbd> to write · sent with your judgment
        </span>
      </header>
      <textarea
        ref={textareaRef}
        class="demo-text"
        data-testid="demonstration"
        placeholder="How should the assistant have answered? Markdown is fine."
        value={text}
        rows={Math.min(18, Math.max(5, text.split("\n").length + 1))}
        onInput={(event) => onInput((event.target as HTMLTextAreaElement).value)}
      />
    </section>
  );
}

import { useMemo } from "preact/hooks";
import { renderGuidelines, renderMarkdown } from "../markdown";

interface Props {
  text: string;
  /** "model": raw HTML shown as text (responses, prompts); "guidelines": sanitized HTML allowed. */
  trust?: "model" | "guidelines";
  class?: string;
}

/** The only place the UI injects HTML, and that HTML always comes out of markdown.ts's sanitizer.
 * dir="auto": a Hebrew or Arabic text lays out right to left, and (as any element with a dir) is
 * isolated, so its direction and bidi characters reach nothing around it. */
export function Markdown({ text, trust = "model", class: className = "" }: Props) {
  const html = useMemo(() => (trust === "guidelines" ? renderGuidelines(text) : renderMarkdown(text)), [text, trust]);
  return <div class={`md ${className}`} dir="auto" dangerouslySetInnerHTML={{ __html: html }} />;
}

/** A model's response wherever one is shown (annotation, review, comparison pages). An empty output
 * is a real answer (and a poor one): it says so rather than leaving a blank box. */
export function ResponseText({ text, class: className = "", emptyTestId }: { text: string; class?: string; emptyTestId?: string }) {
  if (text.trim()) return <Markdown text={text} class={className} />;
  return (
    <p class={`${className} response-empty`.trim()} data-testid={emptyTestId}>
      (empty response)
    </p>
  );
}

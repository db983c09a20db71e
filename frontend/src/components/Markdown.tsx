import { useMemo } from "preact/hooks";
import { renderGuidelines, renderMarkdown } from "../markdown";

interface Props {
  text: string;
  /** "model": raw HTML shown as text (responses, prompts); "guidelines": sanitized HTML allowed. */
  trust?: "model" | "guidelines";
  class?: string;
}

/** The only place the UI injects HTML, and that HTML always comes out of markdown.ts's sanitizer. */
export function Markdown({ text, trust = "model", class: className = "" }: Props) {
  const html = useMemo(() => (trust === "guidelines" ? renderGuidelines(text) : renderMarkdown(text)), [text, trust]);
  return <div class={`md ${className}`} dangerouslySetInnerHTML={{ __html: html }} />;
}

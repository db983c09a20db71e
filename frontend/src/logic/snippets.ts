// The short plain-text line that stands for each response in the dock (markdown and code left
// out), so a verdict can be checked without scrolling back up. Pure. The line is shown as text
// (JSX escapes it), so it keeps what the model wrote, `<` and `>` included: only Markdown's own
// marks are taken out, and hidden characters show as markers (⟪RLO⟫) as in the rendered response.

import { showHiddenCharacters } from "../markdown";
import type { ComparisonResponse, Letter } from "../types";

const MAX_CHARS = 64;

/** What stands for a response that is empty (as the response card says). */
export const EMPTY_SNIPPET = "(empty response)";

/** Markdown's marks out of `text`: fences, heading and quote marks, emphasis, code ticks, link
 * syntax. Marks are taken out only where Markdown reads them as marks (`a > b`, `2 * 3`, `#tag`
 * and snake_case stay). */
function withoutMarks(text: string): string {
  return text
    .replace(/(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:\n\1|$)/g, " code ")
    .replace(/^ {0,3}#{1,6}(?=\s|$)/gm, "")
    .replace(/^ {0,3}(?:> ?)+/gm, "")
    .replace(/!?\[([^\]\n]*)\]\([^)\n]*\)/g, "$1")
    .replace(/`+([^`\n]+?)`+/g, "$1")
    .replace(/(\*\*?|~~)(?=\S)([^\n]*?\S)\1/g, "$2")
    .replace(/(^|[^\p{L}\p{N}_])(__?)(?=\S)([^\n]*?\S)\2(?![\p{L}\p{N}_])/gu, "$1$3");
}

/** One line: runs of white space as one space, hidden characters as their markers. */
function oneLine(text: string): string {
  return showHiddenCharacters(text).replace(/\s+/g, " ").trim();
}

/** Each response position's text as one short plain line. */
export function snippetsFor(responses: ComparisonResponse[]): Record<Letter, string> {
  const result: Record<Letter, string> = {};
  for (const { letter, text } of responses) {
    // All marks ("#", "**") stand for themselves rather than for nothing.
    const plain = oneLine(withoutMarks(text)) || oneLine(text);
    // By code point, so a cut never splits an emoji or other astral character in half.
    const chars = [...plain];
    if (!plain) result[letter] = EMPTY_SNIPPET;
    else result[letter] = chars.length > MAX_CHARS ? `${chars.slice(0, MAX_CHARS - 2).join("")}…` : plain;
  }
  return result;
}

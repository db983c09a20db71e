// The short plain-text line that stands for each response in the dock (markdown and code left
// out), so a verdict can be checked without scrolling back up. Pure.

import type { ComparisonResponse, Letter } from "../types";

const MAX_CHARS = 64;

/** Each response position's text as one short plain line. */
export function snippetsFor(responses: ComparisonResponse[]): Record<Letter, string> {
  const result: Record<Letter, string> = {};
  for (const { letter, text } of responses) {
    const plain = text.replace(/```[\s\S]*?```/g, " [code] ").replace(/[#*_>`~[\]]/g, "").replace(/\s+/g, " ").trim();
    result[letter] = plain.length > MAX_CHARS ? `${plain.slice(0, MAX_CHARS - 2)}…` : plain;
  }
  return result;
}

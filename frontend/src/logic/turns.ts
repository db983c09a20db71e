// Which turns of a long conversation fold away: never the first user turn (the original
// question) or the last few; the middle folds behind one button (key X).

import type { Message } from "../types";

/** The last turns always shown: the final question and the exchange just before it. */
export const TAIL_TURNS = 3;

/** The folded turns as [start, end) indices, or null when everything is shown. */
export function foldedTurns(messages: Pick<Message, "role">[]): { start: number; end: number } | null {
  const firstUser = messages.findIndex((message) => message.role === "user");
  const start = firstUser + 1; // everything up to the original question stays (system prompt too)
  const end = messages.length - TAIL_TURNS;
  // Folding a single turn saves no space: the button would be as tall as the turn.
  return end - start >= 2 ? { start, end } : null;
}

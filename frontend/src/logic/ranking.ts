// Pure list operations behind the ranking widget (drag and keys both end up here).

import type { Letter } from "../types";

/** A copy of `items` with the item at `from` moved to index `to` (clamped). */
export function moveItem<T>(items: readonly T[], from: number, to: number): T[] {
  const result = [...items];
  if (from < 0 || from >= items.length) return result;
  const target = Math.max(0, Math.min(items.length - 1, to));
  const [item] = result.splice(from, 1);
  result.splice(target, 0, item);
  return result;
}

/** Move `letter` by `delta` places (negative is towards best). */
export function moveLetter(order: readonly Letter[], letter: Letter, delta: number): Letter[] {
  const from = order.indexOf(letter);
  return from < 0 ? [...order] : moveItem(order, from, from + delta);
}

/**
 * Where a dragged item lands: the number of the other items whose midpoint lies before the
 * pointer. `midpoints` are the centres of the items as laid out, excluding the dragged one,
 * along the drag axis, in order.
 */
export function dropIndex(midpoints: readonly number[], pointer: number): number {
  let index = 0;
  while (index < midpoints.length && pointer > midpoints[index]) index += 1;
  return index;
}

/** The K·(K−1)/2 pairs a ranking implies, as [better, worse]. */
export function impliedPairs(order: readonly Letter[]): [Letter, Letter][] {
  const pairs: [Letter, Letter][] = [];
  order.forEach((better, i) => order.slice(i + 1).forEach((worse) => pairs.push([better, worse])));
  return pairs;
}

/** 1 → "1st", 2 → "2nd", ... */
export function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] ?? "th";
  return `${n}${suffix}`;
}

// --- ties: equal ranks ------------------------------------------------------------------------
// A ranking with ties is the full order plus `tied`: the letters ranked equal to the one just above
// them. The API takes the same thing as groups (`ranking_ties`: runs of the order ranked equal).

/** The order cut into its groups of equal rank, best first (a letter alone is a group of one). */
export function tieGroups(order: readonly Letter[], tied: readonly Letter[]): Letter[][] {
  const groups: Letter[][] = [];
  order.forEach((letter, index) => {
    if (index > 0 && tied.includes(letter)) groups[groups.length - 1].push(letter);
    else groups.push([letter]);
  });
  return groups;
}

/** `ranking_ties` for the API: the groups of two or more. */
export function rankingTies(order: readonly Letter[], tied: readonly Letter[]): Letter[][] {
  return tieGroups(order, tied).filter((group) => group.length > 1);
}

/** Each letter's rank number, 1 for the best; letters tied share their group's (1, 1, 3). */
export function rankNumbers(order: readonly Letter[], tied: readonly Letter[]): number[] {
  const numbers: number[] = [];
  order.forEach((letter, index) => numbers.push(index > 0 && tied.includes(letter) ? numbers[index - 1] : index + 1));
  return numbers;
}

/** Mark `letter` equal to the one above it, or unmark it (the best has none above: unchanged). */
export function toggleTie(order: readonly Letter[], tied: readonly Letter[], letter: Letter): Letter[] {
  const index = order.indexOf(letter);
  if (index <= 0) return [...tied];
  return tied.includes(letter) ? tied.filter((other) => other !== letter) : [...tied, letter];
}

/**
 * The ties once `moved` went from `before` to `after`: the moved letter leaves its group, and a
 * letter stays marked only if it now sits under a letter of its own group (a group the move split
 * or left behind keeps what is still next to each other).
 */
export function tiesAfterMove(before: readonly Letter[], tied: readonly Letter[], moved: Letter, after: readonly Letter[]): Letter[] {
  const group = new Map<Letter, number>();
  tieGroups(before, tied).forEach((letters, index) => letters.forEach((letter) => group.set(letter, index)));
  group.set(moved, -1);
  return after.filter((letter, index) => index > 0 && letter !== moved && group.get(letter) === group.get(after[index - 1]));
}

/** "B = A > C": a ranking as text, ties shown. */
export function rankingText(order: readonly Letter[], tied: readonly Letter[]): string {
  return tieGroups(order, tied).map((group) => group.join(" = ")).join(" > ").toUpperCase();
}

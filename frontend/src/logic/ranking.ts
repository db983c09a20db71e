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

// Whether a held-out accuracy may be shown as a success. Pure.
//
// A preference model that picks at random is right half the time, so 50% is chance, and on a
// handful of validation pairs even 75% can be luck. Success colour is kept for an accuracy whose
// 95% Wilson interval lies above chance; at or below chance is a warning; anything between
// gets no colour.

export type Verdict = "above-chance" | "at-chance" | "unclear";

const Z = 1.959964;

/** Lower end of the 95% Wilson score interval of `share` over `n` trials. */
export function wilsonLow(share: number, n: number): number {
  if (n <= 0) return 0;
  const centre = share + (Z * Z) / (2 * n);
  const half = Z * Math.sqrt((share * (1 - share)) / n + (Z * Z) / (4 * n * n));
  return (centre - half) / (1 + (Z * Z) / n);
}

/** The verdict on `accuracy` measured on `count` pairs (unknown count: never above chance). */
export function accuracyVerdict(accuracy: number, count: number | null | undefined): Verdict {
  if (accuracy <= 0.5) return "at-chance";
  if (count && wilsonLow(accuracy, count) > 0.5) return "above-chance";
  return "unclear";
}

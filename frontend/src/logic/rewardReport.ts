// A reward checkpoint's report as the page shows it: group rows, verdicts in words, and the
// geometry of the reliability diagram. Pure.

import type { AccuracySummary, CalibrationBin, JudgeStats, RewardReport } from "../types";

/** The groupings in the order the page lists them, with their names in words. */
const GROUPINGS: [string, string][] = [
  ["criterion", "Criterion"],
  ["subset", "Subset"],
  ["source", "Source"],
  ["label_source", "Label source"],
];

export interface GroupRow {
  grouping: string;
  label: string;
  value: string;
  summary: AccuracySummary;
}

/** Every group's accuracy as rows: known groupings first (criterion, subset, source, label
 * source), others after by name; within a grouping the largest groups first, then by name. */
export function groupRows(groups: RewardReport["groups"]): GroupRow[] {
  const known = GROUPINGS.map(([name]) => name);
  const order = (name: string) => (known.includes(name) ? known.indexOf(name) : known.length);
  const names = Object.keys(groups).sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  return names.flatMap((grouping) => {
    const label = GROUPINGS.find(([name]) => name === grouping)?.[1] ?? grouping.replace(/_/g, " ");
    return Object.entries(groups[grouping])
      .sort(([a, x], [b, y]) => y.count - x.count || a.localeCompare(b))
      .map(([value, summary]) => ({ grouping, label, value, summary }));
  });
}

/** Is the accuracy clearly above chance (its interval above 0.5), at or below it, or unclear? */
export function chanceVerdict(summary: AccuracySummary): "above" | "below" | "unclear" | "none" {
  if (summary.accuracy === null || summary.count === 0) return "none";
  const [low, high] = summary.interval;
  if (low > 0.5) return "above";
  if (high < 0.5) return "below";
  return "unclear";
}

/** What the length figures say, in a sentence: a model that learnt "longer is better" is right
 * where people chose the longer response and wrong where they chose the shorter. Only a gap
 * whose two intervals do not overlap is called a bias. */
export function lengthVerdict(bias: RewardReport["length_bias"]): string {
  const longer = bias.longer_chosen;
  const shorter = bias.shorter_chosen;
  if (longer.accuracy === null || shorter.accuracy === null) {
    return "Too few pairs on one side (longer or shorter chosen) to compare.";
  }
  if (longer.interval[0] > shorter.interval[1]) {
    return "Favours longer responses: clearly more accurate where people chose the longer one.";
  }
  if (shorter.interval[0] > longer.interval[1]) {
    return "Favours shorter responses: clearly more accurate where people chose the shorter one.";
  }
  return "No clear length bias: the two accuracies' intervals overlap.";
}

/** How often a perfectly calibrated model, scored on as many pairs per bin at the same
 * confidences, shows an expected calibration error of at least `ece`: the share of `draws`
 * seeded simulations (a bin's right answers drawn binomially; normal approximation above 50
 * pairs, so a large report costs no more than a small one). */
export function calibrationPValue(ece: number, bins: CalibrationBin[], draws = 2000, seed = 1): number {
  const total = bins.reduce((sum, bin) => sum + bin.count, 0);
  if (!total) return 1;
  const random = seededRandom(seed);
  let atLeast = 0;
  for (let draw = 0; draw < draws; draw++) {
    let simulated = 0;
    for (const { count: n, confidence: p } of bins) {
      simulated += (n / total) * Math.abs(binomialDraw(n, p, random) / n - p);
    }
    if (simulated >= ece - 1e-12) atLeast++;
  }
  return atLeast / draws;
}

function binomialDraw(n: number, p: number, random: () => number): number {
  if (n > 50) {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return Math.min(n, Math.max(0, Math.round(n * p + z * Math.sqrt(n * p * (1 - p)))));
  }
  let k = 0;
  for (let i = 0; i < n; i++) if (random() < p) k++;
  return k;
}

/** mulberry32: a small seeded generator, so a report reads the same on every visit. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Expected calibration error in words (bands as commonly read: under 5 points is well
 * calibrated). An error a calibrated model would show by chance on as few pairs (in at least 5%
 * of samples) is no verdict: on a handful of validation pairs every model looks miscalibrated. */
export function calibrationVerdict(ece: number, bins: CalibrationBin[]): string {
  const over = bins.reduce((sum, bin) => sum + bin.count * (bin.confidence - bin.accuracy), 0);
  const direction = over > 0 ? "over-confident" : "under-confident";
  if (ece < 0.05) return "Well calibrated: its stated confidence matches how often it is right.";
  const chance = calibrationPValue(ece, bins);
  if (chance >= 0.05) {
    const pairs = bins.reduce((sum, bin) => sum + bin.count, 0);
    return `Too few pairs to tell (${pairs}): a perfectly calibrated model shows this much error in ${Math.round(chance * 100)}% of samples this size.`;
  }
  if (ece < 0.15) return `Somewhat ${direction}: confidence and accuracy differ by ${Math.round(ece * 100)} points on average.`;
  return `Poorly calibrated (${direction}): confidence and accuracy differ by ${Math.round(ece * 100)} points on average.`;
}

/** This checkpoint's entry in the project stats' judges, by its judge's annotator id. */
export function judgeEntry(judges: JudgeStats[] | undefined, annotator: number | null): JudgeStats | null {
  if (annotator === null || !judges) return null;
  return judges.find((judge) => judge.annotator === annotator) ?? null;
}

export interface DiagramBar {
  x: number;
  width: number;
  y: number;
  height: number;
  /** The bin's mean confidence and accuracy, in SVG units. */
  dotX: number;
  dotY: number;
  /** Dot radius: by the bin's share of pairs, 2.5 to 8. */
  radius: number;
  bin: CalibrationBin;
}

/** Bars of the reliability diagram: one per bin over its confidence range, as high as its
 * accuracy, with a dot at (mean confidence, accuracy); x maps confidence, y accuracy. */
export function diagramBars(bins: CalibrationBin[], x: (v: number) => number, y: (v: number) => number): DiagramBar[] {
  const total = bins.reduce((sum, bin) => sum + bin.count, 0) || 1;
  return bins.map((bin) => ({
    x: x(bin.low) + 1,
    width: Math.max(1, x(bin.high) - x(bin.low) - 2),
    y: y(bin.accuracy),
    height: Math.max(0, y(0) - y(bin.accuracy)),
    dotX: x(bin.confidence),
    dotY: y(bin.accuracy),
    radius: 2.5 + 5.5 * Math.sqrt(bin.count / total),
    bin,
  }));
}

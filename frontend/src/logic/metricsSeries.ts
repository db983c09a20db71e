// A training run's per-step metrics, as the run page polls them with ?after=STEP, arranged
// into the chart panels it draws. Pure.

import type { RunMetric } from "../types";
import type { Point } from "./chartScale";

/** `existing` with `incoming` added, one entry per step (a re-sent step replaces), by step. */
export function mergeMetrics(existing: RunMetric[], incoming: RunMetric[]): RunMetric[] {
  if (incoming.length === 0) return existing;
  const byStep = new Map(existing.map((metric) => [metric.step, metric]));
  for (const metric of incoming) byStep.set(metric.step, metric);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** The `after` to ask for next: the last step held, or -1 for everything. */
export function lastStep(metrics: RunMetric[]): number {
  return metrics.length ? metrics[metrics.length - 1].step : -1;
}

export interface Panel {
  title: string;
  keys: string[];
  /** Accuracy-like: drawn on a fixed 0–100 % axis. */
  share?: boolean;
  /** Loss-like: a smoothed trend is drawn over the raw line. */
  smooth?: boolean;
}

const PANELS: Panel[] = [
  { title: "Loss", keys: ["loss", "val_loss", "policy_loss", "value_loss"], smooth: true },
  {
    title: "Reward",
    keys: [
      "reward", "reward_std", "chosen_reward", "rejected_reward", "desirable_reward", "undesirable_reward",
      "margin", "val_margin", "mean_margin", "val_mean_margin", "val_desirable_reward", "val_undesirable_reward",
    ],
    smooth: true,
  },
  { title: "KL", keys: ["kl"], smooth: true },
  { title: "Accuracy", keys: ["accuracy", "val_accuracy"], share: true },
];
const TAIL_PANELS: Panel[] = [
  { title: "Learning rate", keys: ["learning_rate"] },
  { title: "Throughput (samples/s)", keys: ["samples_per_s"] },
];
const HIDDEN = new Set(["tokens_per_s", "val_count"]);

/** The panels with data, in a fixed order (loss, reward, KL, accuracy, others, learning rate, speed). */
export function metricPanels(metrics: RunMetric[]): Panel[] {
  const present = new Set<string>();
  for (const metric of metrics)
    for (const [key, value] of Object.entries(metric.values)) if (typeof value === "number") present.add(key);
  const known = new Set([...PANELS, ...TAIL_PANELS].flatMap((panel) => panel.keys));
  const keep = (panels: Panel[]) =>
    panels
      .map((panel) => ({ ...panel, keys: panel.keys.filter((key) => present.has(key)) }))
      .filter((panel) => panel.keys.length > 0);
  const others = [...present]
    .filter((key) => !known.has(key) && !HIDDEN.has(key))
    .sort()
    .map((key) => ({ title: key.replace(/_/g, " "), keys: [key] }));
  return [...keep(PANELS), ...others, ...keep(TAIL_PANELS)];
}

/** One metric's points over steps. A step that does not report it is passed over, so a metric
 *  measured every eval_steps (val_*) is a line, not a row of dots between gaps; a step that
 *  reports it without a number (null) is a gap. */
export function seriesPoints(metrics: RunMetric[], key: string): Point[] {
  return metrics
    .filter((metric) => key in metric.values)
    .map((metric) => {
      const value = metric.values[key];
      return { x: metric.step, y: typeof value === "number" && Number.isFinite(value) ? value : null };
    });
}

/** The latest value of `key`, for the panel's headline. */
export function latest(metrics: RunMetric[], key: string): number | null {
  for (let i = metrics.length - 1; i >= 0; i--) {
    const value = metrics[i].values[key];
    if (typeof value === "number" && Number.isFinite(value)) return value;
  }
  return null;
}

// A run in one table row: its key settings and the final figures it recorded, and the runs'
// curves laid over each other for comparison. Pure.

import type { ConfigValue, RunMetric, TrainingRun } from "../types";
import { accuracyVerdict, type Verdict } from "./accuracyVerdict";
import type { Point } from "./chartScale";
import { figure, metricText } from "./format";
import { metricPanels, seriesPoints } from "./metricsSeries";

export interface Fact {
  key: string;
  label: string;
  text: string;
}

/** A setting as it reads in a table cell: 0.0005 → "5e-4", 0.1 → "0.1", 8 → "8" (format's figure). */
export function settingText(value: number): string {
  return figure(value);
}

/** Any config value as the run's card lists it: numbers as settingText, lists joined, null "none". */
export function configText(value: ConfigValue): string {
  if (value === null) return "none";
  if (typeof value === "number") return settingText(value);
  return Array.isArray(value) ? value.join(", ") : String(value);
}

const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

function num(config: TrainingRun["config"], key: string): number | null {
  const value = config[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** How long it trains: max_steps when set (it overrides epochs), else the epochs. */
function length(config: TrainingRun["config"]): string | null {
  const steps = num(config, "max_steps");
  if (steps !== null) return plural(steps, "step");
  const epochs = num(config, "epochs");
  return epochs !== null ? plural(epochs, "epoch") : null;
}

/** "LoRA r8" (QLoRA on a 4-bit base), "full"; null for a stage that trains nothing (generate). */
function adapters(config: TrainingRun["config"]): string | null {
  if (!("lora_r" in config)) return null;
  const rank = num(config, "lora_r") ?? 0;
  if (rank <= 0) return "full";
  return `${config.load_in_4bit === true ? "QLoRA" : "LoRA"} r${rank}`;
}

/** Processes × machines; "auto" when the worker picks (one per GPU it may use). */
function processes(config: TrainingRun["config"]): string | null {
  if (!("num_processes" in config)) return null;
  const each = num(config, "num_processes");
  const machines = num(config, "num_machines") ?? 1;
  const per = each === null ? "auto" : plural(each, "process", "processes");
  return machines > 1 ? `${per} × ${machines} machines` : per;
}

/** The settings that tell runs apart, in a fixed order; those the run's stage lacks are left out. */
export function runSettings(run: TrainingRun): Fact[] {
  const facts: Fact[] = [];
  const add = (key: string, label: string, text: string | null) => text !== null && facts.push({ key, label, text });
  add("snapshot", "snapshot", run.snapshot !== null ? `#${run.snapshot}` : null);
  const rate = num(run.config, "learning_rate");
  add("learning_rate", "lr", rate !== null ? settingText(rate) : null);
  add("length", "", length(run.config));
  add("adapters", "", adapters(run.config));
  add("processes", "", processes(run.config));
  return facts;
}

// The figures a run is judged by, held-out ones first; the first few present are shown.
const FINAL_ORDER = [
  "val_accuracy", "accuracy", "val_mean_margin", "val_margin", "mean_margin", "margin", "val_loss", "loss", "reward", "kl",
];

export interface FinalFigure extends Fact {
  /** Accuracy only: whether it may be shown as a success (never on a chance-level or tiny sample). */
  verdict?: Verdict;
}

/** The run's final metrics (result.metrics, as the worker records them), at most `limit`. */
export function finalFigures(run: TrainingRun, limit = 3): FinalFigure[] {
  const metrics = run.result.metrics;
  if (!metrics || typeof metrics !== "object") {
    const samples = run.result.samples;
    return typeof samples === "number" ? [{ key: "samples", label: "samples", text: String(samples) }] : [];
  }
  const values = metrics as Record<string, unknown>;
  const count = typeof values.val_count === "number" ? values.val_count : null;
  const figures: FinalFigure[] = [];
  for (const key of FINAL_ORDER) {
    const value = values[key];
    if (typeof value !== "number" || !Number.isFinite(value) || figures.length >= limit) continue;
    const share = key.includes("accuracy");
    const final: FinalFigure = { key, label: key.replace(/_/g, " "), text: metricText(key, value) };
    if (share) final.verdict = accuracyVerdict(value, key.startsWith("val_") ? count : null);
    figures.push(final);
  }
  return figures;
}

/** The metrics any of the runs recorded, in the run page's panel order (loss first). */
export function overlayMetrics(metricsByRun: RunMetric[][]): string[] {
  return metricPanels(metricsByRun.flat()).flatMap((panel) => panel.keys);
}

export interface OverlaySeries {
  key: string;
  label: string;
  points: Point[];
}

/** One series per run for `metric`, labelled by run and stage; runs without it are left out. */
export function overlaySeries(runs: TrainingRun[], metricsByRun: Map<number, RunMetric[]>, metric: string): OverlaySeries[] {
  const series: OverlaySeries[] = [];
  for (const run of runs) {
    const points = seriesPoints(metricsByRun.get(run.id) ?? [], metric);
    if (points.some((p) => p.y !== null)) series.push({ key: `run-${run.id}`, label: `#${run.id} ${run.stage}`, points });
  }
  return series;
}

const records = (metrics: RunMetric[], key: string) => metrics.some((m) => Number.isFinite(m.values[key]));

/**
 * The metric an overlay opens on: the first, in panel order, that every run recorded, else the
 * first that most of them did; null while none has any. Loss comes first only where all have it:
 * GRPO, RLOO and PPO runs log reward, so opening on loss drew nothing of them.
 */
export function overlayDefault(metricsByRun: RunMetric[][]): string | null {
  let best: string | null = null;
  let most = 0;
  for (const key of overlayMetrics(metricsByRun)) {
    const count = metricsByRun.filter((metrics) => records(metrics, key)).length;
    if (count > most) [best, most] = [key, count];
  }
  return best;
}

/** Which runs the chart of `metric` leaves out for lack of it, as a sentence; null when none. */
export function overlayMissing(runs: TrainingRun[], metricsByRun: Map<number, RunMetric[]>, metric: string): string | null {
  const missing = runs.filter((run) => !records(metricsByRun.get(run.id) ?? [], metric)).map((run) => `#${run.id} ${run.stage}`);
  if (missing.length === 0) return null;
  const names = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(", ")} and ${missing[missing.length - 1]}`;
  return `Not drawn: ${names} recorded no ${metric.replace(/_/g, " ")}.`;
}

/** The selection after ticking `id` on or off; at most `max` runs (the chart's colours). */
export function toggleSelected(selected: number[], id: number, on: boolean, max: number): number[] {
  if (!on) return selected.filter((other) => other !== id);
  if (selected.includes(id) || selected.length >= max) return selected;
  return [...selected, id];
}

/** The runs an address asks to compare (?compare=3,5), at most `max`. */
export function compareFromQuery(search: string, max: number): number[] {
  const ids = (new URLSearchParams(search).get("compare") ?? "").split(",").map(Number);
  return [...new Set(ids.filter((id) => Number.isInteger(id) && id > 0))].slice(0, max);
}

/** `search` with the compared runs in it (none: the parameter goes), the other parameters kept. */
export function withCompare(search: string, ids: number[]): string {
  const params = new URLSearchParams(search);
  if (ids.length) params.set("compare", ids.join(","));
  else params.delete("compare");
  const query = params.toString().replace(/%2C/g, ",");
  return query ? `?${query}` : "";
}

// The result keys that name a snapshot a run wrote (best-of-N's selections, a judge's revisions).
const WRITTEN_SNAPSHOTS: Record<string, string> = { snapshot: "snapshot", pairs_snapshot: "pairs snapshot" };

/** The snapshots a run wrote, from its result: {key, label, id} for each id present. */
export function writtenSnapshots(result: TrainingRun["result"]): { key: string; label: string; id: number }[] {
  return Object.entries(WRITTEN_SNAPSHOTS).flatMap(([key, label]) => {
    const id = result[key];
    return typeof id === "number" && Number.isInteger(id) ? [{ key, label, id }] : [];
  });
}

/** What the attempts of a run its worker lost did: the last resumed at a saved step, recorded the
 * checkpoint an earlier attempt had finished (result.recovered: nothing retrained), or started over. */
export function attemptsText(run: TrainingRun): string {
  if (run.resumed_from_step !== null) return `${run.attempts} · resumed at step ${run.resumed_from_step}`;
  if (run.result.recovered === true) return `${run.attempts} · recorded the checkpoint an earlier attempt finished (nothing retrained)`;
  return `${run.attempts} · restarted at step 0`;
}

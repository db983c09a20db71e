import { describe, expect, it } from "vitest";
import type { RunMetric, TrainingRun } from "../types";
import { metricText } from "./format";
import {
  attemptsText,
  compareFromQuery,
  configText,
  finalFigures,
  overlayDefault,
  overlayMetrics,
  overlayMissing,
  overlaySeries,
  runSettings,
  settingText,
  toggleSelected,
  withCompare,
  writtenSnapshots,
} from "./runSummary";

function run(overrides: Partial<TrainingRun> = {}): TrainingRun {
  return {
    id: 1, project: 1, stage: "reward", status: "succeeded", base_model: "org/model", base_checkpoint: null,
    reward_checkpoint: null, snapshot: 4, created_at: "2024-01-01T00:00:00Z", started_at: null, finished_at: null,
    heartbeat_at: null, dispatched_at: null, worker: "", progress_step: 0, progress_total: 0, cancel_requested: false,
    attempts: 1, resumed_from_step: null, force: false, warnings: [], error: "", log_tail: "", result: {}, client_key: "",
    config: { learning_rate: 0.0005, epochs: 3, max_steps: null, lora_r: 0, num_processes: null, num_machines: 1 },
    ...overrides,
  };
}

const metric = (step: number, values: Record<string, number>): RunMetric => ({ step, values, created_at: "" });

describe("run settings", () => {
  it("reads snapshot, learning rate, length, full or LoRA and processes", () => {
    expect(runSettings(run()).map((f) => [f.label, f.text])).toEqual([
      ["snapshot", "#4"], ["lr", "5e-4"], ["", "3 epochs"], ["", "full"], ["", "auto"],
    ]);
  });

  it("prefers max_steps over epochs, names LoRA's rank and counts machines", () => {
    const config = { learning_rate: 1e-5, epochs: 3, max_steps: 12, lora_r: 8, load_in_4bit: true, num_processes: 2, num_machines: 2 };
    const texts = runSettings(run({ snapshot: null, config })).map((f) => f.text);
    expect(texts).toEqual(["1e-5", "12 steps", "QLoRA r8", "2 processes × 2 machines"]);
    expect(runSettings(run({ config: { lora_r: 4, num_processes: 1 } })).map((f) => f.text)).toEqual(["#4", "LoRA r4", "1 process"]);
  });

  it("leaves out what a stage that trains nothing lacks", () => {
    expect(runSettings(run({ stage: "generate", snapshot: null, config: { max_new_tokens: 64 } }))).toEqual([]);
    expect(settingText(0.1)).toBe("0.1");
  });
});

describe("one text per number on the run pages", () => {
  it("reads the same learning rate alike in the list, on the card and among the final figures", () => {
    const config = { learning_rate: 5.9e-5, epochs: 2, lora_r: 0 };
    const listed = runSettings(run({ config })).find((f) => f.key === "learning_rate")?.text;
    const result = { metrics: { loss: 5.9e-5 } };
    expect(listed).toBe("5.9e-5");
    expect(configText(5.9e-5)).toBe(listed); // the run card's settings
    expect(finalFigures(run({ result }))[0].text).toBe(listed);
    expect(metricText("learning_rate", 5.9e-5)).toBe(listed); // checkpoint chips, chart legends
  });

  it("lists any config value: lists joined, null as none, flags as they are", () => {
    expect(configText(null)).toBe("none");
    expect(configText(["overall", "harmless"])).toBe("overall, harmless");
    expect(configText(true)).toBe("true");
    expect(configText("bf16")).toBe("bf16");
    expect(configText(64)).toBe("64");
  });
});

describe("final figures", () => {
  it("shows held-out figures first, accuracy as a share with its verdict", () => {
    const result = { metrics: { loss: 0.41234, accuracy: 0.9, val_accuracy: 0.55, val_count: 20, learning_rate: 1e-5, val_mean_margin: 0.8 } };
    const figures = finalFigures(run({ result }));
    expect(figures.map((f) => [f.key, f.text])).toEqual([["val_accuracy", "55.0%"], ["accuracy", "90.0%"], ["val_mean_margin", "0.8"]]);
    expect(figures[0].verdict).toBe("unclear");
    expect(figures[1].verdict).toBe("unclear"); // training accuracy has no held-out count: never a success
    expect(finalFigures(run({ result }), 5).map((f) => f.key)).toEqual(["val_accuracy", "accuracy", "val_mean_margin", "loss"]);
  });

  it("is empty without metrics, and counts a generate run's samples", () => {
    expect(finalFigures(run())).toEqual([]);
    expect(finalFigures(run({ stage: "generate", result: { samples: 40, model_name: "x" } }))).toEqual([
      { key: "samples", label: "samples", text: "40" },
    ]);
  });
});

describe("overlay", () => {
  const first = [metric(1, { loss: 0.7, accuracy: 0.5 }), metric(2, { loss: 0.6 })];
  const second = [metric(1, { loss: 0.9, kl: 0.1 })];

  it("offers every metric any run recorded, loss first", () => {
    expect(overlayMetrics([first, second])).toEqual(["loss", "kl", "accuracy"]);
  });

  it("gives each run with the metric a series of its own", () => {
    const runs = [run({ id: 3 }), run({ id: 5, stage: "dpo" }), run({ id: 7 })];
    const series = overlaySeries(runs, new Map([[3, first], [5, second], [7, []]]), "loss");
    expect(series.map((s) => s.label)).toEqual(["#3 reward", "#5 dpo"]);
    expect(series[0].points).toEqual([{ x: 1, y: 0.7 }, { x: 2, y: 0.6 }]);
  });

  it("opens on a metric every run recorded: reward for online RL runs, which log no loss", () => {
    const grpo = [metric(1, { reward: 0.1, kl: 0.01 }), metric(2, { reward: 0.3, kl: 0.02 })];
    const rloo = [metric(1, { reward: 0.2, kl: 0.05 })];
    const dpo = [metric(1, { loss: 0.69, reward: 0.0 })];
    expect(overlayDefault([grpo, rloo])).toBe("reward");
    expect(overlayDefault([dpo, grpo, rloo])).toBe("reward"); // loss is first in order, but only one run has it
    expect(overlayDefault([first, second])).toBe("loss"); // loss where every run has it
  });

  it("falls back to the first metric most runs recorded, and to none before any", () => {
    const dpo = [metric(1, { loss: 0.69 })];
    const kto = [metric(1, { loss: 0.5, kl: 0.1 })];
    const grpo = [metric(1, { kl: 0.2 }), metric(2, { kl: Number.NaN })];
    expect(overlayDefault([dpo, kto, grpo])).toBe("loss"); // two of three; kl too, but later in order
    expect(overlayDefault([dpo, [], [metric(1, { reward: 1 })], [metric(1, { reward: 2 })]])).toBe("reward");
    expect(overlayDefault([[], []])).toBeNull();
  });

  it("says which runs a chosen metric leaves out", () => {
    const runs = [run({ id: 3 }), run({ id: 5, stage: "grpo" }), run({ id: 7, stage: "rloo" })];
    const byRun = new Map([[3, first], [5, [metric(1, { reward: 1 })]], [7, []]]);
    expect(overlayMissing(runs, byRun, "loss")).toBe("Not drawn: #5 grpo and #7 rloo recorded no loss.");
    expect(overlayMissing(runs.slice(0, 2), byRun, "reward")).toBe("Not drawn: #3 reward recorded no reward.");
    expect(overlayMissing(runs.slice(0, 1), byRun, "loss")).toBeNull();
  });

  it("selects at most max runs and drops one when unticked", () => {
    expect(toggleSelected([1, 2], 3, true, 3)).toEqual([1, 2, 3]);
    expect(toggleSelected([1, 2, 3], 4, true, 3)).toEqual([1, 2, 3]);
    expect(toggleSelected([1, 2], 2, true, 3)).toEqual([1, 2]);
    expect(toggleSelected([1, 2], 1, false, 3)).toEqual([2]);
  });
});

describe("the compared runs in the address", () => {
  it("reads ?compare=, skipping what is no run id", () => {
    expect(compareFromQuery("?compare=3,5,x,3,-1", 6)).toEqual([3, 5]);
    expect(compareFromQuery("?stage=ppo", 6)).toEqual([]);
    expect(compareFromQuery("?compare=1,2,3", 2)).toEqual([1, 2]);
  });

  it("writes it beside the other parameters, and drops it when none are ticked", () => {
    expect(withCompare("?stage=ppo", [3, 5])).toBe("?stage=ppo&compare=3,5");
    expect(withCompare("?compare=3,5", [])).toBe("");
  });
});

describe("written snapshots", () => {
  it("names the snapshots a run wrote, from its result", () => {
    expect(writtenSnapshots({ snapshot: 7, pairs_snapshot: 8, pairs: 12, metrics: {} })).toEqual([
      { key: "snapshot", label: "snapshot", id: 7 },
      { key: "pairs_snapshot", label: "pairs snapshot", id: 8 },
    ]);
    expect(writtenSnapshots({ snapshot: 7, pairs_snapshot: null })).toEqual([{ key: "snapshot", label: "snapshot", id: 7 }]);
    expect(writtenSnapshots({ checkpoint: 3 })).toEqual([]);
  });
});

describe("attempts", () => {
  it("says whether the last attempt resumed, recovered a finished checkpoint or started over", () => {
    expect(attemptsText(run({ attempts: 2, resumed_from_step: 40 }))).toBe("2 · resumed at step 40");
    expect(attemptsText(run({ attempts: 2, result: { recovered: true, steps: 8 } }))).toBe(
      "2 · recorded the checkpoint an earlier attempt finished (nothing retrained)",
    );
    expect(attemptsText(run({ attempts: 3, status: "running" }))).toBe("3 · restarted at step 0");
  });
});

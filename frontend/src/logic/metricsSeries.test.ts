import { describe, expect, it } from "vitest";
import type { RunMetric } from "../types";
import { lastStep, latest, mergeMetrics, metricPanels, seriesPoints } from "./metricsSeries";

const metric = (step: number, values: Record<string, number>): RunMetric => ({ step, values, created_at: "" });

describe("incremental metrics", () => {
  it("appends new steps in order and replaces a step sent again", () => {
    const held = [metric(1, { loss: 1 }), metric(2, { loss: 0.9 })];
    const merged = mergeMetrics(held, [metric(2, { loss: 0.8 }), metric(3, { loss: 0.7 })]);
    expect(merged.map((m) => [m.step, m.values.loss])).toEqual([[1, 1], [2, 0.8], [3, 0.7]]);
    expect(lastStep(merged)).toBe(3);
    expect(lastStep([])).toBe(-1);
  });

  it("keeps the same array when nothing new came", () => {
    const held = [metric(1, { loss: 1 })];
    expect(mergeMetrics(held, [])).toBe(held);
  });
});

describe("panels", () => {
  it("groups a reward run's metrics, loss first, speed last", () => {
    const metrics = [metric(1, { loss: 0.7, accuracy: 0.5, margin: 0.1, learning_rate: 1e-5, samples_per_s: 9, tokens_per_s: 900 })];
    expect(metricPanels(metrics).map((p) => [p.title, p.keys])).toEqual([
      ["Loss", ["loss"]],
      ["Reward", ["margin"]],
      ["Accuracy", ["accuracy"]],
      ["Learning rate", ["learning_rate"]],
      ["Throughput (samples/s)", ["samples_per_s"]],
    ]);
  });

  it("draws validation curves measured every eval_steps beside the training ones, the count hidden", () => {
    const metrics = [
      metric(1, { loss: 0.7, accuracy: 0.5, margin: 0.1 }),
      metric(2, { loss: 0.6, accuracy: 0.6, margin: 0.2, val_accuracy: 0.5, val_mean_margin: 0.05, val_count: 8 }),
    ];
    expect(metricPanels(metrics).map((p) => [p.title, p.keys])).toEqual([
      ["Loss", ["loss"]],
      ["Reward", ["margin", "val_mean_margin"]],
      ["Accuracy", ["accuracy", "val_accuracy"]],
    ]);
  });

  it("shows PPO's reward and KL, and gives unknown metrics a panel of their own", () => {
    const metrics = [metric(1, { reward: 0.2, kl: 0.01 }), metric(2, { reward: 0.3, kl: 0.02, response_length: 40 })];
    expect(metricPanels(metrics).map((p) => p.title)).toEqual(["Reward", "KL", "response length"]);
  });

  it("draws KTO's desirable and undesirable rewards together, beside its KL", () => {
    const metrics = [metric(1, { loss: 0.5, kl: 0, desirable_reward: 0.1 }), metric(2, { loss: 0.4, kl: 0.2, desirable_reward: 0.2, undesirable_reward: -0.1 })];
    expect(metricPanels(metrics).map((p) => [p.title, p.keys])).toEqual([
      ["Loss", ["loss"]],
      ["Reward", ["desirable_reward", "undesirable_reward"]],
      ["KL", ["kl"]],
    ]);
  });

  it("draws GRPO's and RLOO's within-group reward spread beside the mean reward", () => {
    const metrics = [
      metric(1, { reward: 0.2, reward_std: 0.1, kl: 0, policy_loss: 0.01, clip_fraction: 0 }),
      metric(2, { reward: 0.4, reward_std: 0.05, kl: 0.3, policy_loss: -0.02, clip_fraction: 0.1 }),
    ];
    expect(metricPanels(metrics).map((p) => [p.title, p.keys])).toEqual([
      ["Loss", ["policy_loss"]],
      ["Reward", ["reward", "reward_std"]],
      ["KL", ["kl"]],
      ["clip fraction", ["clip_fraction"]],
    ]);
  });

  it("marks accuracy as a share and loss as smoothed", () => {
    const [loss, accuracy] = metricPanels([metric(1, { loss: 1, val_accuracy: 0.5 })]);
    expect(loss.smooth).toBe(true);
    expect(accuracy.share).toBe(true);
    expect(accuracy.keys).toEqual(["val_accuracy"]);
  });
});

describe("series", () => {
  it("joins the steps that report a metric, leaves a gap where one reports no number, and reads the latest value", () => {
    const metrics = [metric(1, { loss: 1 }), metric(2, { accuracy: 0.5 }), metric(3, { loss: 0.5 })];
    expect(seriesPoints(metrics, "loss")).toEqual([{ x: 1, y: 1 }, { x: 3, y: 0.5 }]);
    const sparse = [1, 2, 3, 4, 5, 6].map((step) => metric(step, step % 3 === 0 ? { loss: 1, val_loss: step } : { loss: 1 }));
    expect(seriesPoints(sparse, "val_loss")).toEqual([{ x: 3, y: 3 }, { x: 6, y: 6 }]); // every eval_steps: one line
    const withNull = [metric(1, { loss: 1 }), { step: 2, values: { loss: null }, created_at: "" } as unknown as RunMetric, metric(3, { loss: 0.5 })];
    expect(seriesPoints(withNull, "loss")).toEqual([{ x: 1, y: 1 }, { x: 2, y: null }, { x: 3, y: 0.5 }]);
    expect(latest(metrics, "loss")).toBe(0.5);
    expect(latest(metrics, "kl")).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import type { AccuracySummary, CalibrationBin, JudgeStats } from "../types";
import { calibrationPValue, calibrationVerdict, chanceVerdict, diagramBars, groupRows, judgeEntry, lengthVerdict } from "./rewardReport";

const acc = (accuracy: number | null, low: number, high: number, count: number): AccuracySummary => ({
  accuracy,
  interval: [low, high],
  count,
});

const bin = (low: number, count: number, confidence: number, accuracy: number): CalibrationBin => ({
  low,
  high: low + 0.05,
  count,
  confidence,
  accuracy,
});

describe("group rows", () => {
  it("lists criteria first, then subsets, sources, label sources and unknown groupings, largest groups first", () => {
    const rows = groupRows({
      label_source: { human: acc(0.7, 0.5, 0.8, 10) },
      zeta: { z: acc(0.5, 0.2, 0.8, 3) },
      source: { small: acc(1, 0.4, 1, 2), big: acc(0.6, 0.4, 0.8, 20) },
      criterion: { helpful: acc(0.8, 0.6, 0.9, 5), harmless: acc(0.6, 0.3, 0.8, 5) },
    });
    expect(rows.map((r) => `${r.label}:${r.value}`)).toEqual([
      "Criterion:harmless",
      "Criterion:helpful",
      "Source:big",
      "Source:small",
      "Label source:human",
      "zeta:z",
    ]);
  });
});

describe("chance verdict", () => {
  it("calls an accuracy above chance only when its whole interval is", () => {
    expect(chanceVerdict(acc(0.9, 0.6, 0.98, 20))).toBe("above");
    expect(chanceVerdict(acc(0.75, 0.41, 0.93, 8))).toBe("unclear");
    expect(chanceVerdict(acc(0.1, 0.02, 0.4, 20))).toBe("below");
    expect(chanceVerdict(acc(null, 0, 1, 0))).toBe("none");
  });
});

describe("length verdict", () => {
  const bias = (longer: AccuracySummary, shorter: AccuracySummary) => ({
    margin_length_correlation: 0.3,
    longer_chosen: longer,
    shorter_chosen: shorter,
    prefers_longer: 0.7,
  });

  it("names a bias only where the two intervals do not overlap", () => {
    expect(lengthVerdict(bias(acc(0.9, 0.8, 0.95, 100), acc(0.4, 0.3, 0.5, 100)))).toMatch(/^Favours longer/);
    expect(lengthVerdict(bias(acc(0.3, 0.2, 0.4, 100), acc(0.9, 0.8, 0.95, 100)))).toMatch(/^Favours shorter/);
    expect(lengthVerdict(bias(acc(0.7, 0.5, 0.85, 30), acc(0.6, 0.4, 0.75, 30)))).toMatch(/^No clear length bias/);
    expect(lengthVerdict(bias(acc(0.7, 0.5, 0.85, 30), acc(null, 0, 1, 0)))).toMatch(/^Too few pairs/);
  });
});

describe("calibration verdict", () => {
  it("says which way a poorly calibrated model errs", () => {
    expect(calibrationVerdict(0.02, [bin(0.9, 10, 0.92, 0.9)])).toMatch(/^Well calibrated/);
    expect(calibrationVerdict(0.3, [bin(0.95, 10, 0.97, 0.6)])).toMatch(/over-confident/);
    expect(calibrationVerdict(0.1, [bin(0.5, 400, 0.52, 0.62)])).toMatch(/^Somewhat under-confident.*10 points/);
  });

  it("gives no verdict on an error chance alone explains on so few pairs", () => {
    // two pairs at confidence 0.6, both wrong: a calibrated model does that 0.4² = 16% of the time
    expect(calibrationVerdict(0.6, [bin(0.6, 2, 0.6, 0)])).toMatch(/^Too few pairs to tell \(2\): .* in 1[4-8]% of samples/);
    expect(calibrationVerdict(0.1, [bin(0.5, 10, 0.52, 0.62)])).toMatch(/^Too few pairs to tell \(10\)/);
    expect(calibrationVerdict(0.6, [bin(0.6, 200, 0.6, 0)])).toMatch(/^Poorly calibrated \(over-confident\)/);
  });

  it("simulates how often a calibrated model shows at least the error", () => {
    // one pair at confidence 0.8: error 0.2 when right (p 0.8), 0.8 when wrong (p 0.2)
    expect(calibrationPValue(0.8, [bin(0.8, 1, 0.8, 0)])).toBeCloseTo(0.2, 1);
    expect(calibrationPValue(0.2, [bin(0.8, 1, 0.8, 1)])).toBe(1);
    // 1,000 pairs at 0.7 (the normal approximation): 10 points off is far outside chance
    expect(calibrationPValue(0.1, [bin(0.7, 1000, 0.7, 0.6)])).toBe(0);
    expect(calibrationPValue(0.1, [bin(0.7, 1000, 0.7, 0.6)], 500, 7)).toBe(0);
    expect(calibrationPValue(0.3, [])).toBe(1);
  });
});

describe("judge entry", () => {
  it("finds the checkpoint's judge by its annotator id, not by name", () => {
    const judges = [{ name: "r", annotator: 3 }, { name: "r #7", annotator: 9 }] as JudgeStats[];
    expect(judgeEntry(judges, 9)?.name).toBe("r #7");
    expect(judgeEntry(judges, 4)).toBeNull();
    expect(judgeEntry(undefined, 3)).toBeNull();
    expect(judgeEntry(judges, null)).toBeNull();
  });
});

describe("reliability diagram bars", () => {
  // confidence 0.5..1 onto 0..100, accuracy 0..1 onto 100..0 (SVG y grows down)
  const x = (v: number) => (v - 0.5) * 200;
  const y = (v: number) => 100 - v * 100;

  it("puts each bin over its confidence range, as high as its accuracy, its dot at (confidence, accuracy)", () => {
    const [bar] = diagramBars([bin(0.6, 4, 0.62, 0.75)], x, y);
    expect(bar.x).toBeCloseTo(21);
    expect(bar.width).toBeCloseTo(8);
    expect(bar.y).toBeCloseTo(25);
    expect(bar.height).toBeCloseTo(75);
    expect([bar.dotX, bar.dotY]).toEqual([expect.closeTo(24), expect.closeTo(25)]);
  });

  it("sizes dots by the bin's share of pairs", () => {
    const [small, large] = diagramBars([bin(0.5, 1, 0.52, 1), bin(0.9, 99, 0.93, 1)], x, y);
    expect(small.radius).toBeLessThan(large.radius);
    expect(large.radius).toBeLessThanOrEqual(8);
    expect(small.radius).toBeGreaterThanOrEqual(2.5);
  });
});

describe("a reward checkpoint's report address", () => {
  it("is its own page under the training tab, and back", async () => {
    const { hrefFor, matchRoute } = await import("../router");
    const path = "/projects/3/dashboard/training/checkpoints/12";
    expect(matchRoute(`${path}/`)).toEqual({ name: "dashboard", projectId: 3, tab: "training", checkpointId: 12 });
    expect(hrefFor(matchRoute(path))).toBe(path);
    expect(matchRoute("/projects/3/dashboard/training/checkpoints/x").name).toBe("notFound");
  });
});

import { describe, expect, it } from "vitest";
import { accuracyVerdict, wilsonLow } from "./accuracyVerdict";

describe("accuracy verdict", () => {
  it("never calls chance or worse a success", () => {
    expect(accuracyVerdict(0, 2)).toBe("at-chance");
    expect(accuracyVerdict(0.5, 1000)).toBe("at-chance");
  });

  it("wants the interval above chance, so a few lucky pairs are not enough", () => {
    expect(accuracyVerdict(1, 2)).toBe("unclear");
    expect(accuracyVerdict(0.75, 8)).toBe("unclear");
    expect(accuracyVerdict(0.62, 400)).toBe("above-chance");
    expect(accuracyVerdict(0.9, null)).toBe("unclear");
  });

  it("matches the Wilson interval computed by hand", () => {
    // 8 of 10: (0.8 + 1.96²/20 − 1.96·√(0.016 + 1.96²/400)) / (1 + 1.96²/10) ≈ 0.4902
    expect(wilsonLow(0.8, 10)).toBeCloseTo(0.4902, 3);
  });
});

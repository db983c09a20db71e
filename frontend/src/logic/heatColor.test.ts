import { describe, expect, it } from "vitest";
import { DARK_HEAT, LIGHT_HEAT, css, heatColor, luminance, textOn } from "./heatColor";

describe("win-rate heat colours", () => {
  it("is neutral at an even match and saturated at the extremes", () => {
    expect(heatColor(0.5)).toEqual(LIGHT_HEAT.mid);
    expect(heatColor(1)).toEqual(LIGHT_HEAT.high);
    expect(heatColor(0)).toEqual(LIGHT_HEAT.low);
    expect(heatColor(1, DARK_HEAT)).toEqual(DARK_HEAT.high);
  });

  it("clamps rates outside 0..1 and leaves never-met pairs blank", () => {
    expect(heatColor(1.4)).toEqual(heatColor(1));
    expect(heatColor(-0.1)).toEqual(heatColor(0));
    expect(heatColor(null)).toBeNull();
    expect(heatColor(Number.NaN)).toBeNull();
  });

  it("gets steadily stronger away from 0.5 on both sides", () => {
    const distance = (rate: number) => {
      const [r, g, b] = heatColor(rate)!;
      const [mr, mg, mb] = LIGHT_HEAT.mid;
      return Math.hypot(r - mr, g - mg, b - mb);
    };
    const above = [0.5, 0.55, 0.65, 0.8, 1].map(distance);
    const below = [0.5, 0.45, 0.35, 0.2, 0].map(distance);
    for (const series of [above, below]) for (let i = 1; i < series.length; i++) expect(series[i]).toBeGreaterThan(series[i - 1]);
    // a 55 % edge is already visible: the scale bends (square root) near the middle
    expect(above[1] / above[4]).toBeGreaterThan(0.25);
  });

  it("picks the text colour that contrasts with the cell", () => {
    expect(textOn(LIGHT_HEAT.mid)).toBe("dark");
    expect(textOn(LIGHT_HEAT.high)).toBe("light");
    expect(textOn(DARK_HEAT.mid)).toBe("light");
    expect(luminance([255, 255, 255])).toBeCloseTo(1);
    expect(luminance([0, 0, 0])).toBe(0);
    expect(css([1, 2, 3])).toBe("rgb(1, 2, 3)");
  });
});

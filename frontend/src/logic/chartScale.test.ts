import { describe, expect, it } from "vitest";
import { ema, extent, formatTick, formatTicks, linear, linePath, niceDomain, padded, thin, tickStep, ticks, valueAxis } from "./chartScale";

describe("extent and padding", () => {
  it("ignores missing and non-finite values", () => {
    expect(extent([3, null, -1, undefined, Number.NaN, Infinity, 2])).toEqual([-1, 3]);
    expect(extent([])).toBeNull();
    expect(extent([null, Number.NaN])).toBeNull();
  });

  it("gives a flat series some height and an empty one the fallback", () => {
    expect(padded([5, 5])).toEqual([4.5, 5.5]);
    expect(padded([0, 0])).toEqual([-1, 1]);
    expect(padded(null, [0, 10])).toEqual([0, 10]);
    expect(padded([1, 2])).toEqual([1, 2]);
  });
});

describe("linear scale", () => {
  it("maps the domain ends onto the range ends, inverted ranges included (SVG y grows down)", () => {
    const y = linear([0, 10], [100, 0]);
    expect(y(0)).toBe(100);
    expect(y(10)).toBe(0);
    expect(y(2.5)).toBe(75);
  });

  it("puts everything in the middle when the domain has no width", () => {
    expect(linear([3, 3], [0, 50])(3)).toBe(25);
  });
});

describe("ticks", () => {
  it("uses 1, 2 and 5 steps", () => {
    expect(tickStep(10, 5)).toBe(2);
    expect(tickStep(1, 4)).toBe(0.2);
    expect(tickStep(0.03, 3)).toBe(0.01);
    expect(tickStep(700, 4)).toBe(200);
  });

  it("lands on round values inside the domain, without float noise", () => {
    expect(ticks([0, 1], 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks([0.13, 0.71], 3)).toEqual([0.2, 0.4, 0.6]);
    expect(ticks([-3, 7], 5)).toEqual([-2, 0, 2, 4, 6]);
    expect(ticks([0.1, 0.3], 2)).toEqual([0.1, 0.2, 0.3]);
  });

  it("widens a domain to whole steps", () => {
    expect(niceDomain([0.13, 0.71], 3)).toEqual([0, 0.8]);
    expect(niceDomain([913, 1088], 4)).toEqual([900, 1100]);
  });

  it("labels ticks briefly", () => {
    expect(formatTick(0)).toBe("0");
    expect(formatTick(1500)).toBe("1500");
    expect(formatTick(25000)).toBe("25k");
    expect(formatTick(0.30000000000000004)).toBe("0.3");
    expect(formatTick(0.00002)).toBe("2e-5");
    expect(formatTick(-2)).toBe("-2");
  });

  it("gives close ticks labels that differ", () => {
    expect(formatTicks([0.00045, 0.0005, 0.00055])).toEqual(["4.5e-4", "5e-4", "5.5e-4"]);
    expect(formatTicks([1.0001, 1.0002, 1.0003])).toEqual(["1.0001", "1.0002", "1.0003"]);
    expect(formatTicks([0, 0.5, 1])).toEqual(["0", "0.5", "1"]);
    const steps = ticks([0.000451, 0.000549], 4);
    expect(new Set(formatTicks(steps)).size).toBe(steps.length);
  });
});

describe("line paths", () => {
  const x = (v: number) => v * 10;
  const y = (v: number) => 100 - v;

  it("moves to the first point and draws to the rest", () => {
    expect(linePath([{ x: 0, y: 0 }, { x: 1, y: 50 }, { x: 2, y: 25 }], x, y)).toBe("M0,100L10,50L20,75");
  });

  it("breaks the line at missing values instead of drawing through them", () => {
    expect(linePath([{ x: 0, y: 1 }, { x: 1, y: null }, { x: 2, y: 3 }, { x: 3, y: 4 }], x, y)).toBe(
      "M0,99M20,97L30,96",
    );
    expect(linePath([], x, y)).toBe("");
  });
});

describe("smoothing and thinning", () => {
  it("smooths with an exponential moving average, skipping gaps", () => {
    const smoothed = ema([1, 3, null, 3], 0.5);
    expect(smoothed).toEqual([1, 2, null, 2.5]);
  });

  it("keeps the first and last point and at most max points", () => {
    const items = Array.from({ length: 1001 }, (_, i) => i);
    const kept = thin(items, 101);
    expect(kept).toHaveLength(101);
    expect(kept[0]).toBe(0);
    expect(kept[100]).toBe(1000);
    expect(thin([1, 2, 3], 10)).toEqual([1, 2, 3]);
  });
});

describe("value axis", () => {
  // Series as runs log them: flat (DPO's loss at ln 2), flat up to float noise, tiny ranges at
  // any size, and wide ones; every axis must read as distinct, short labels covering the data.
  const flat = (value: number) => Array.from({ length: 20 }, () => value);
  const cases: [string, number[]][] = [
    ["constant loss", flat(0.6931)],
    ["constant zero", flat(0)],
    ["constant tiny", flat(1e-7)],
    ["constant negative", flat(-0.6931)],
    ["constant large", flat(1234567.5)],
    ["flat but for float noise", [0.6931, 0.6931000000000001, 0.6931, 0.69310000000000005]],
    ["noise-level wobble", [0.6931471805599453, 0.6931471805599454, 0.6931471805599452]],
    ["1e-7 range at 0.69", [0.6931, 0.6931001, 0.69310005]],
    ["1e-7 range at 1e-7", [1e-7, 2e-7]],
    ["1e-7 range around 0", [-5e-8, 5e-8]],
    ["1e-7 range at 1e-9 size", [1e-9, 1.0000001e-9]],
    ["negative, tiny and nearly flat", [-1e-9, -1.0000001e-9]],
    ["1e-7 range at 1000", [1000, 1000.0000001]],
    ["1e-12 range at 1e-12", [1e-12, 2e-12]],
    ["ordinary loss", [0.9, 0.7, 0.6, 0.5]],
    ["reward crossing zero", [-3.2, 0.4, 5.1]],
    ["large steps", [913, 1088]],
  ];

  it.each(cases)("labels a %s axis with distinct, readable ticks that cover it", (_, values) => {
    const { domain, ticks: at, labels } = valueAxis(values);
    expect(at.length).toBeGreaterThanOrEqual(2);
    expect(new Set(at).size).toBe(at.length);
    expect(new Set(labels).size).toBe(labels.length);
    for (const label of labels) expect(label.length).toBeLessThanOrEqual(9); // fits LineChart's margin
    for (const tick of at) {
      expect(tick).toBeGreaterThanOrEqual(domain[0] - Math.abs(domain[1] - domain[0]) * 1e-9);
      expect(tick).toBeLessThanOrEqual(domain[1] + Math.abs(domain[1] - domain[0]) * 1e-9);
    }
    expect(domain[0]).toBeLessThanOrEqual(Math.min(...values));
    expect(domain[1]).toBeGreaterThanOrEqual(Math.max(...values));
  });

  it("keeps an exactly flat series' band and an ordinary axis as they were", () => {
    expect(valueAxis(flat(0.6931)).labels).toEqual(["0.6", "0.65", "0.7", "0.75", "0.8"]);
    expect(valueAxis([0.9, 0.7, 0.6, 0.5]).labels).toEqual(["0.5", "0.6", "0.7", "0.8", "0.9"]);
  });
});

import { describe, expect, it } from "vitest";
import { ago, bytes, count, duration, figure, fixed, interval, metricText, percent, remaining, shortHash } from "./format";

describe("format", () => {
  it("prints shares, figures and intervals, with a dash for missing values", () => {
    expect(percent(0.4567)).toBe("46%");
    expect(percent(0.4567, 1)).toBe("45.7%");
    expect(percent(null)).toBe("—");
    expect(fixed(-0.123, 2)).toBe("−0.12");
    expect(fixed(undefined)).toBe("—");
    expect(count(12345.4)).toBe("12,345");
    expect(interval(0.41, 0.634)).toBe("[0.41, 0.63]");
    expect(interval(null, 0.6)).toBe("—");
  });

  it("prints durations and times ago", () => {
    expect(duration(4.26)).toBe("4.3 s");
    expect(duration(45)).toBe("45 s");
    expect(duration(200)).toBe("3 min 20 s");
    expect(duration(7500)).toBe("2 h 5 min");
    const now = Date.parse("2025-03-01T12:00:00Z");
    expect(ago("2025-03-01T11:59:50Z", now)).toBe("just now");
    expect(ago("2025-03-01T11:55:00Z", now)).toBe("5 min ago");
    expect(ago("2025-03-01T09:00:00Z", now)).toBe("3 h ago");
    expect(ago("2025-02-27T12:00:00Z", now)).toBe("2 d ago");
    expect(ago(null, now)).toBe("—");
  });

  it("estimates the time left from the pace so far", () => {
    const now = Date.parse("2025-03-01T12:01:00Z");
    expect(remaining("2025-03-01T12:00:00Z", 10, 40, now)).toBe(180);
    expect(remaining("2025-03-01T12:00:00Z", 0, 40, now)).toBeNull();
    expect(remaining("2025-03-01T12:00:00Z", 40, 40, now)).toBeNull();
    expect(remaining(null, 10, 40, now)).toBeNull();
  });

  it("shortens hashes and sizes", () => {
    expect(shortHash("a".repeat(64))).toBe("aaaaaaaaaaaa");
    expect(bytes(812)).toBe("812 B");
    expect(bytes(3.4 * 1024 * 1024)).toBe("3.4 MB");
  });
});

describe("figure: one text per value on the run screens", () => {
  it("prints a learning rate compactly, never as 0.0000590", () => {
    expect(figure(5.9e-5)).toBe("5.9e-5");
    expect(figure(0.0005)).toBe("5e-4");
    expect(figure(1e-7)).toBe("1e-7");
    expect(figure(0.000999)).toBe("9.99e-4");
  });

  it("keeps whole numbers exact and others to three significant digits", () => {
    expect(figure(8)).toBe("8");
    expect(figure(123456)).toBe("123456");
    expect(figure(0.69314718)).toBe("0.693");
    expect(figure(0.001)).toBe("0.001");
    expect(figure(-0.25)).toBe("-0.25");
    expect(figure(12.3456)).toBe("12.3");
    expect(figure(1234.56)).toBe("1235");
    expect(figure(2.5e7 + 0.5)).toBe("2.5e7");
  });

  it("has a dash for what is missing", () => {
    expect(figure(null)).toBe("—");
    expect(figure(Number.NaN)).toBe("—");
    expect(figure(Infinity)).toBe("—");
  });

  it("prints an accuracy as a share and any other metric as a figure", () => {
    expect(metricText("val_accuracy", 0.9)).toBe("90.0%");
    expect(metricText("loss", 0.41234)).toBe("0.412");
    expect(metricText("learning_rate", 5.9e-5)).toBe("5.9e-5");
  });
});

import { describe, expect, it } from "vitest";
import { ago, bytes, count, duration, fixed, interval, percent, remaining, shortHash } from "./format";

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

import { describe, expect, it } from "vitest";
import { Stopwatch } from "./stopwatch";

describe("Stopwatch", () => {
  it("counts only running time", () => {
    let now = 1000;
    const watch = new Stopwatch(() => now);
    watch.start();
    now += 500;
    watch.pause();
    now += 10_000;
    expect(watch.elapsedMs()).toBe(500);
    watch.start();
    watch.start();
    now += 250;
    expect(watch.elapsedMs()).toBe(750);
    expect(watch.running).toBe(true);
  });

  it("starts from time already spent", () => {
    let now = 0;
    const watch = new Stopwatch(() => now, 4000);
    watch.start();
    now += 100;
    expect(watch.elapsedMs()).toBe(4100);
  });
});

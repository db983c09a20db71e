import { describe, expect, it } from "vitest";
import type { Comparison } from "../types";
import { ComparisonFeed } from "./comparisonFeed";

const NOW = Date.parse("2025-01-01T12:00:00Z");

function comparison(id: number, leaseMinutes = 15): Comparison {
  return {
    id, project: 1, prompt: { id, messages: [{ role: "user", content: `q${id}` }] },
    responses: [{ letter: "a", text: "x" }, { letter: "b", text: "y" }],
    lease_expires_at: new Date(NOW + leaseMinutes * 60_000).toISOString(),
  };
}

/** A fake next-task endpoint: `current` is the live lease, `pool` what can be leased ahead. */
function server(pool: Comparison[], current: Comparison | null = pool.shift() ?? null) {
  const calls: string[] = [];
  let settledCalls = 0;
  const state = { current, pool };
  const source = {
    now: () => NOW,
    next: async (ahead: boolean) => {
      calls.push(ahead ? "ahead" : "current");
      if (!ahead) return state.current;
      return state.pool.shift() ?? null;
    },
    settled: async () => { settledCalls += 1; },
  };
  return { source, calls, state, settledCalls: () => settledCalls };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("ComparisonFeed", () => {
  it("leases the next comparison ahead and shows it on advance without asking the server", async () => {
    const { source, calls } = server([comparison(1), comparison(2), comparison(3)]);
    let readyCalls = 0;
    const feed = new ComparisonFeed(source, () => { readyCalls += 1; });
    expect((await feed.start())?.id).toBe(1);
    await flush();
    expect(feed.ready?.id).toBe(2);
    expect(readyCalls).toBe(1);
    expect(calls).toEqual(["current", "ahead"]);
    const shown = feed.advance();
    expect((await shown)?.id).toBe(2);
    expect(calls).toEqual(["current", "ahead", "ahead"]);
  });

  it("asks for the live lease after the queue settles when nothing was prefetched", async () => {
    const fake = server([comparison(1)]);
    const feed = new ComparisonFeed(fake.source);
    await feed.start();
    await flush();
    expect(feed.ready).toBeNull();
    fake.state.current = comparison(9);
    expect((await feed.advance())?.id).toBe(9);
    expect(fake.settledCalls()).toBeGreaterThan(0);
  });

  it("never shows a finished comparison again, even while the server still holds its lease", async () => {
    const fake = server([comparison(1)]);
    const feed = new ComparisonFeed(fake.source);
    await feed.start();
    await flush();
    // The judgment for 1 is still in the retry queue: the server answers 1 again.
    expect(await feed.advance()).toBeNull();
    expect(fake.calls.filter((c) => c === "current")).toHaveLength(3);
  });

  it("drops a prefetched comparison whose lease has nearly run out", async () => {
    const fake = server([comparison(1), comparison(2, 0.2)]);
    const feed = new ComparisonFeed(fake.source);
    await feed.start();
    await flush();
    fake.state.current = comparison(3);
    expect((await feed.advance())?.id).toBe(3);
  });

  it("ignores an ahead answer that repeats a comparison it has", async () => {
    const fake = server([comparison(1)]);
    fake.state.pool.push(comparison(1));
    const feed = new ComparisonFeed(fake.source);
    await feed.start();
    await flush();
    expect(feed.ready).toBeNull();
  });

  it("puts an undone comparison back in front and keeps the displayed one next", async () => {
    const { source } = server([comparison(1), comparison(2), comparison(3)]);
    const feed = new ComparisonFeed(source);
    await feed.start();
    await flush();
    await feed.advance();
    feed.reopen(comparison(1));
    expect(feed.current?.id).toBe(1);
    expect(feed.ready?.id).toBe(2);
    expect((await feed.advance())?.id).toBe(2);
  });

  it("survives a failing prefetch", async () => {
    const fake = server([comparison(1)]);
    const feed = new ComparisonFeed({ ...fake.source, next: async (ahead) => { if (ahead) throw new Error("offline"); return comparison(1); } });
    await feed.start();
    await flush();
    expect(feed.ready).toBeNull();
  });

  it("waits for earlier writes to land before leasing ahead", async () => {
    const fake = server([comparison(1), comparison(2), comparison(3)]);
    let land: () => void = () => undefined;
    let pending = false;
    const feed = new ComparisonFeed({
      ...fake.source,
      settled: () => (pending ? new Promise<void>((resolve) => { land = resolve; }) : Promise.resolve()),
    });
    await feed.start();
    await flush();
    pending = true; // the judgment of comparison 1 is in flight
    await feed.advance();
    await flush();
    expect(fake.calls).toEqual(["current", "ahead"]);
    land();
    await flush();
    expect(fake.calls).toEqual(["current", "ahead", "ahead"]);
    expect(feed.ready?.id).toBe(3);
  });
});

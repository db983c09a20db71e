import { describe, expect, it } from "vitest";
import type { Comparison } from "../types";
import { ComparisonFeed, comparisonsEndedBy, waitingMessage } from "./comparisonFeed";

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

  it("never offers a comparison whose judgment waits in the queue a closed tab stored", async () => {
    // Judged 1 and 2 offline, tab closed, reopened online: the queue (restored from storage)
    // sends the judgments while the page asks; the server, having seen only the first, answers 2.
    const fake = server([comparison(4)], comparison(2));
    const feed = new ComparisonFeed({
      ...fake.source,
      pending: () => [1, 2],
      settled: async () => { fake.state.current = comparison(3); },
    });
    expect((await feed.start())?.id).toBe(3);
    await flush();
    expect(feed.ready?.id).toBe(4);
  });

  it("skips a comparison finished in another tab, on screen or waiting next", async () => {
    const fake = server([comparison(1), comparison(2), comparison(3)]);
    const feed = new ComparisonFeed(fake.source);
    await feed.start();
    await flush();
    expect(feed.finishedElsewhere(2)).toBe(false);
    expect(feed.ready).toBeNull();
    expect(feed.finishedElsewhere(1)).toBe(true);
    fake.state.current = comparison(3);
    expect((await feed.advance())?.id).toBe(3);
  });

  it("catches up with another tab at the server's first live lease, not the one leased ahead here", async () => {
    // This tab's lease-ahead was answered after the other tab's write: it holds the comparison
    // after the one that tab moved to (3), which the server still answers first.
    const fake = server([comparison(1), comparison(4)]);
    const feed = new ComparisonFeed(fake.source);
    await feed.start();
    await flush();
    expect(feed.ready?.id).toBe(4);
    expect(feed.finishedElsewhere(1)).toBe(true);
    fake.state.current = comparison(3);
    expect((await feed.catchUp())?.id).toBe(3);
    expect(feed.ready?.id).toBe(4);
    expect((await feed.advance())?.id).toBe(4);
  });

  it("catching up keeps what waits here when the server answers with it", async () => {
    const fake = server([comparison(1), comparison(2), comparison(3)]);
    const feed = new ComparisonFeed(fake.source);
    await feed.start();
    await flush();
    feed.finishedElsewhere(1);
    fake.state.current = comparison(2);
    expect((await feed.catchUp())?.id).toBe(2);
    await flush();
    expect(feed.ready?.id).toBe(3);
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

  it("survives a failing prefetch, says so, and asks again when called", async () => {
    const fake = server([comparison(1), comparison(2)]);
    let offline = true;
    const feed = new ComparisonFeed({
      ...fake.source,
      next: async (ahead) => {
        if (ahead && offline) throw new Error("offline");
        return fake.source.next(ahead);
      },
    });
    await feed.start();
    await flush();
    expect(feed.ready).toBeNull();
    expect(feed.ahead).toBe("failed");
    offline = false;
    await feed.prefetch();
    expect(feed.ready?.id).toBe(2);
    expect(feed.ahead).toBe("ready");
  });

  it("says there is none ahead only when the server answered so", async () => {
    const fake = server([comparison(1)]);
    const feed = new ComparisonFeed(fake.source);
    await feed.start();
    expect(feed.ahead).toBe("loading");
    await flush();
    expect(feed.ahead).toBe("none");
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

  it("shows every comparison leased while offline, in order, once the writes land", async () => {
    // The server's rules (assignment.comparison_lease_next): ahead=false answers the first live
    // lease, ahead=true the second, leasing new ones as needed; a judgment ends its lease.
    const pool = [1, 2, 3, 4, 5].map((id) => comparison(id));
    const live: Comparison[] = [];
    const lease = (wanted: number) => {
      while (live.length < wanted && pool.length) live.push(pool.shift() as Comparison);
      return live[wanted - 1] ?? null;
    };
    const unsent: number[] = [];
    const waiting: (() => void)[] = [];
    const feed = new ComparisonFeed({
      now: () => NOW,
      next: async (ahead) => lease(ahead ? 2 : 1),
      settled: () => unsent.length ? new Promise<void>((resolve) => waiting.push(resolve)) : Promise.resolve(),
    });
    await feed.start();
    await flush();
    expect(feed.ready?.id).toBe(2);
    unsent.push(1); // judged offline: shown next at once
    expect((await feed.advance())?.id).toBe(2);
    unsent.push(2); // judged offline too: nothing is ready
    const third = feed.advance();
    await flush();
    expect(feed.current).toBeNull();
    // Back online: both judgments land, then the feed asks.
    for (const id of unsent.splice(0)) live.splice(live.findIndex((c) => c.id === id), 1);
    waiting.splice(0).forEach((resolve) => resolve());
    expect((await third)?.id).toBe(3);
    await flush();
    expect(feed.ready?.id).toBe(4);
  });
});

describe("comparisonsEndedBy", () => {
  it("names the comparisons a queued judgment or skip ends, not a flag or a demonstration", () => {
    const ended = comparisonsEndedBy([
      { path: "/api/judgments/", body: { comparison: 7, winner: "a" } },
      { path: "/api/demonstrations/", body: { prompt: 8, text: "x" } },
      { path: "/api/comparisons/9/flag/", body: { reason: "other" } },
      { path: "/api/comparisons/10/skip/", body: { reason: "" } },
      { path: "/api/judgments/", body: null },
    ]);
    expect([...ended].sort((a, b) => a - b)).toEqual([7, 10]);
  });
});

describe("waitingMessage", () => {
  it("says why the next comparison does not come, and what waits to be saved", () => {
    expect(waitingMessage(true, { state: "sending", pending: 1 })).toBeNull();
    expect(waitingMessage(false, { state: "waiting", pending: 2 })).toBe(
      "Offline: waiting for the connection to load the next comparison · 2 unsaved, sent once it is back",
    );
    expect(waitingMessage(false, { state: "idle", pending: 0 })).toBe("Offline: waiting for the connection to load the next comparison");
    expect(waitingMessage(true, { state: "waiting", pending: 1 })).toContain("The server is not answering");
    expect(waitingMessage(true, { state: "paused", pending: 3 })).toContain("log in again to save 3 unsaved");
  });
});

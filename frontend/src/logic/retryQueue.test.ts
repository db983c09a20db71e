import { describe, expect, it } from "vitest";
import { type Classification, DroppedJob, RetryQueue } from "./retryQueue";

class Offline extends Error {}
class Rejected extends Error {}
class SignedOut extends Error {}

const classify = (error: unknown): Classification =>
  error instanceof Offline ? "retry" : error instanceof SignedOut ? "pause" : "fail";

function memoryStore() {
  const data = new Map<string, string>();
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), data };
}

/** A fake server whose answers the test scripts; timers fire only when the test says so. */
function harness(answers: (() => unknown)[], storage = memoryStore()) {
  const sent: { key: string }[] = [];
  const timers: (() => void)[] = [];
  const queue = new RetryQueue<{ key: string }>({
    send: async (request) => {
      sent.push(request);
      const answer = answers.shift();
      if (!answer) return { ok: request.key };
      return answer();
    },
    classify,
    storage,
    storageKey: "q",
    backoffMs: (attempt) => attempt * 1000,
    now: () => 0,
    setTimer: (fn) => timers.push(fn),
    clearTimer: () => undefined,
  });
  const fireTimer = async () => {
    timers.shift()?.();
    await flush();
  };
  return { queue, sent, timers, fireTimer, storage };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("RetryQueue", () => {
  it("delivers in order and resolves each job with the server's answer", async () => {
    const { queue, sent } = harness([]);
    const first = queue.enqueue("k1", "one", { key: "k1" });
    const second = queue.enqueue("k2", "two", { key: "k2" });
    await expect(first).resolves.toEqual({ ok: "k1" });
    await expect(second).resolves.toEqual({ ok: "k2" });
    expect(sent.map((r) => r.key)).toEqual(["k1", "k2"]);
    expect(queue.status()).toMatchObject({ state: "idle", pending: 0 });
  });

  it("retries a network error with the very same request, after a backoff", async () => {
    const { queue, sent, timers, fireTimer } = harness([
      () => { throw new Offline("offline"); },
      () => { throw new Offline("offline"); },
    ]);
    const delivered = queue.enqueue("k1", "one", { key: "k1" });
    queue.enqueue("k2", "two", { key: "k2" });
    await flush();
    expect(queue.status()).toMatchObject({ state: "waiting", pending: 2, retryAt: 1000, lastError: "offline" });
    expect(timers).toHaveLength(1);
    await fireTimer();
    expect(queue.status()).toMatchObject({ state: "waiting", retryAt: 2000 });
    await fireTimer();
    await expect(delivered).resolves.toEqual({ ok: "k1" });
    await flush();
    // k2 never overtook k1; k1 was sent three times with the same key.
    expect(sent.map((r) => r.key)).toEqual(["k1", "k1", "k1", "k2"]);
    expect(queue.status().pending).toBe(0);
  });

  it("drops a job the server rejects for good, reports it, and goes on", async () => {
    const { queue, sent } = harness([() => { throw new Rejected("lease expired"); }]);
    const rejected = queue.enqueue("k1", "Judgment #1", { key: "k1" });
    const next = queue.enqueue("k2", "two", { key: "k2" });
    await expect(rejected).rejects.toThrow("lease expired");
    await expect(next).resolves.toEqual({ ok: "k2" });
    expect(sent).toHaveLength(2);
    expect(queue.status().failed).toEqual([{ id: "k1", label: "Judgment #1", error: "lease expired" }]);
    queue.dismissFailed();
    expect(queue.status().failed).toEqual([]);
  });

  it("drops a job that goes after one rejected for good, also after a reload, and reports only the first", async () => {
    const storage = memoryStore();
    const offline = harness([() => { throw new Offline("offline"); }], storage);
    offline.queue.enqueue("j1", "Judgment #1", { key: "j1" }).catch(() => undefined);
    offline.queue.enqueue("d1", "Demonstration #1", { key: "d1" }, { after: "j1" }).catch(() => undefined);
    await flush();
    expect(JSON.parse(storage.data.get("q") as string)).toMatchObject([{ id: "j1" }, { id: "d1", after: "j1" }]);

    // Reopened: the judgment is refused (already judged in another tab); its demonstration is not sent.
    const reloaded = harness([() => { throw new Rejected("already judged"); }], storage);
    const later = reloaded.queue.enqueue("k2", "two", { key: "k2" });
    reloaded.queue.resume();
    await expect(later).resolves.toEqual({ ok: "k2" });
    expect(reloaded.sent.map((r) => r.key)).toEqual(["j1", "k2"]);
    expect(reloaded.queue.status().failed.map((job) => job.id)).toEqual(["j1"]);
    expect(JSON.parse(storage.data.get("q") as string)).toEqual([]);

    const { queue, sent } = harness([() => { throw new Rejected("already judged"); }]);
    const judgment = queue.enqueue("j2", "Judgment #2", { key: "j2" });
    const demonstration = queue.enqueue("d2", "Demonstration #2", { key: "d2" }, { after: "j2" });
    await expect(judgment).rejects.toThrow("already judged");
    await expect(demonstration).rejects.toBeInstanceOf(DroppedJob);
    expect(sent.map((r) => r.key)).toEqual(["j2"]);
  });

  it("sends a job that goes after a delivered one, and lists what is pending", async () => {
    const { queue, sent } = harness([]);
    const judgment = queue.enqueue("j1", "Judgment #1", { key: "j1" });
    queue.enqueue("d1", "Demonstration #1", { key: "d1" }, { after: "j1" });
    expect(queue.pendingRequests()).toEqual([{ key: "j1" }, { key: "d1" }]);
    await judgment;
    await queue.whenIdle();
    expect(sent.map((r) => r.key)).toEqual(["j1", "d1"]);
    expect(queue.pendingRequests()).toEqual([]);
  });

  it("pauses on a lost session and keeps the job until resumed", async () => {
    const { queue, timers } = harness([() => { throw new SignedOut("not authenticated"); }]);
    const delivered = queue.enqueue("k1", "one", { key: "k1" });
    await flush();
    expect(queue.status()).toMatchObject({ state: "paused", pending: 1 });
    expect(timers).toHaveLength(0);
    queue.resume();
    await expect(delivered).resolves.toEqual({ ok: "k1" });
  });

  it("survives a page reload through storage", async () => {
    const storage = memoryStore();
    const first = harness([() => { throw new Offline("offline"); }], storage);
    first.queue.enqueue("k1", "one", { key: "k1" }).catch(() => undefined);
    await flush();
    expect(JSON.parse(storage.data.get("q") as string)).toMatchObject([{ id: "k1", attempts: 1 }]);

    const reloaded = harness([], storage);
    expect(reloaded.queue.status().pending).toBe(1);
    expect(reloaded.queue.has("k1")).toBe(true);
    reloaded.queue.resume();
    await flush();
    expect(reloaded.sent).toEqual([{ key: "k1" }]);
    expect(JSON.parse(storage.data.get("q") as string)).toEqual([]);
  });

  it("keeps what another open tab stored: a tab closed offline loses nothing", async () => {
    const storage = memoryStore();
    const offline = () => { throw new Offline("offline"); };
    const tabA = harness([offline], storage);
    const tabB = harness([offline], storage);
    tabA.queue.enqueue("a1", "from A", { key: "a1" }).catch(() => undefined);
    tabB.queue.enqueue("b1", "from B", { key: "b1" }).catch(() => undefined);
    await flush();
    expect(JSON.parse(storage.data.get("q") as string).map((job: { id: string }) => job.id).sort()).toEqual(["a1", "b1"]);

    const reopened = harness([], storage); // both tabs closed; back online
    reopened.queue.resume();
    await flush();
    expect(reopened.sent.map((request) => request.key).sort()).toEqual(["a1", "b1"]);
    expect(JSON.parse(storage.data.get("q") as string)).toEqual([]);
  });

  it("tells when it is idle", async () => {
    const { queue, fireTimer } = harness([() => { throw new Offline("offline"); }]);
    await queue.whenIdle();
    queue.enqueue("k1", "one", { key: "k1" });
    let idle = false;
    queue.whenIdle().then(() => { idle = true; });
    await flush();
    expect(idle).toBe(false);
    await fireTimer();
    expect(idle).toBe(true);
  });

  it("tells subscribers about every change", async () => {
    const { queue } = harness([]);
    const states: string[] = [];
    queue.subscribe((status) => states.push(`${status.state}:${status.pending}`));
    await queue.enqueue("k1", "one", { key: "k1" });
    expect(states).toEqual(["sending:1", "idle:0"]);
  });
});

// A persistent FIFO of writes that must reach the server exactly once in effect.
//
// Each job is sent as stored, so a retry of a judgment carries the same client_key and the
// server answers the first judgment instead of storing a second one. Jobs go one at a time in
// order (an undo or a skip never overtakes the judgment before it). Network errors and 5xx wait
// and retry with backoff; an expired session pauses the queue (jobs stay, in localStorage too,
// until the annotator logs in again); any other 4xx is final and reported. A job can go `after`
// another: it is sent only if that one is delivered (the ideal response written with a judgment
// the server refused as already judged must not be stored on its own).

export type Classification = "retry" | "pause" | "fail";

export interface QueuedJob<R> {
  id: string;
  label: string;
  request: R;
  attempts: number;
  enqueuedAt: number;
  /** The id of an earlier job this one goes with: if that one fails for good, this one is dropped. */
  after?: string;
}

/** What a job dropped with the job it went `after` rejects with (not reported as failed: the
 * failure of the job it went with is). */
export class DroppedJob extends Error {}

export interface FailedJob {
  id: string;
  label: string;
  error: string;
}

export type QueueState = "idle" | "sending" | "waiting" | "paused";

export interface QueueStatus {
  state: QueueState;
  pending: number;
  /** When the next retry happens (epoch ms), while waiting. */
  retryAt: number | null;
  lastError: string | null;
  failed: FailedJob[];
}

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface RetryQueueOptions<R> {
  send: (request: R) => Promise<unknown>;
  classify: (error: unknown) => Classification;
  storage?: KeyValueStore | null;
  storageKey?: string;
  /** Delay before the attempt-th retry (1-based). */
  backoffMs?: (attempt: number) => number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export function defaultBackoffMs(attempt: number): number {
  const base = Math.min(15_000, 500 * 2 ** (attempt - 1));
  return base / 2 + Math.random() * (base / 2);
}

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class RetryQueue<R> {
  private jobs: QueuedJob<R>[] = [];
  private failed: FailedJob[] = [];
  private waiters = new Map<string, Waiter>();
  private idleWaiters: (() => void)[] = [];
  private listeners = new Set<(status: QueueStatus) => void>();
  private state: QueueState = "idle";
  private retryAt: number | null = null;
  private lastError: string | null = null;
  private timer: unknown = null;
  private readonly opts: Required<RetryQueueOptions<R>>;
  /** Jobs this page delivered or gave up on: never written back to storage. */
  private readonly settled = new Set<string>();

  constructor(options: RetryQueueOptions<R>) {
    this.opts = {
      storage: null,
      storageKey: "retry-queue",
      backoffMs: defaultBackoffMs,
      now: () => Date.now(),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
      ...options,
    };
    this.jobs = this.load();
  }

  /** Queue a write; resolves with the server's answer once delivered, rejects if it failed for good. */
  enqueue(id: string, label: string, request: R, options: { after?: string } = {}): Promise<unknown> {
    const promise = new Promise((resolve, reject) => this.waiters.set(id, { resolve, reject }));
    const after = options.after !== undefined && this.has(options.after) ? { after: options.after } : {};
    this.jobs.push({ id, label, request, attempts: 0, enqueuedAt: this.opts.now(), ...after });
    this.persist();
    this.kick();
    return promise;
  }

  /** Start sending (jobs restored from storage included), or retry now after a pause or wait. */
  resume(): void {
    if (this.timer !== null) this.opts.clearTimer(this.timer);
    this.timer = null;
    if (this.state === "waiting" || this.state === "paused") this.state = "idle";
    this.kick();
  }

  has(id: string): boolean {
    return this.jobs.some((job) => job.id === id);
  }

  /** The requests still to deliver, in order (restored ones included): what the screen must not
   * offer again, or send twice. */
  pendingRequests(): R[] {
    return this.jobs.map((job) => job.request);
  }

  /** Resolves when nothing is pending (immediately if so). */
  whenIdle(): Promise<void> {
    if (this.jobs.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  status(): QueueStatus {
    return {
      state: this.state,
      pending: this.jobs.length,
      retryAt: this.retryAt,
      lastError: this.lastError,
      failed: [...this.failed],
    };
  }

  subscribe(listener: (status: QueueStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dismissFailed(): void {
    this.failed = [];
    this.notify();
  }

  private kick(): void {
    if (this.state === "idle") void this.pump();
    else this.notify();
  }

  private async pump(): Promise<void> {
    while (this.jobs.length > 0) {
      const job = this.jobs[0];
      this.state = "sending";
      this.retryAt = null;
      this.notify();
      try {
        const result = await this.opts.send(job.request);
        this.finish(job, (waiter) => waiter.resolve(result));
        this.lastError = null;
      } catch (error) {
        const kind = this.opts.classify(error);
        this.lastError = error instanceof Error ? error.message : String(error);
        if (kind === "fail") {
          this.failed.push({ id: job.id, label: job.label, error: this.lastError });
          this.finish(job, (waiter) => waiter.reject(error));
          this.dropFollowers(job, this.lastError);
          continue;
        }
        job.attempts += 1;
        this.persist();
        if (kind === "pause") {
          this.state = "paused";
        } else {
          const delay = this.opts.backoffMs(job.attempts);
          this.state = "waiting";
          this.retryAt = this.opts.now() + delay;
          this.timer = this.opts.setTimer(() => this.resume(), delay);
        }
        this.notify();
        return;
      }
    }
    this.state = "idle";
    this.retryAt = null;
    this.notify();
    const idle = this.idleWaiters.splice(0);
    idle.forEach((resolve) => resolve());
  }

  private finish(job: QueuedJob<R>, settle: (waiter: Waiter) => void): void {
    this.jobs.shift();
    this.settled.add(job.id);
    this.persist();
    const waiter = this.waiters.get(job.id);
    this.waiters.delete(job.id);
    if (waiter) settle(waiter);
  }

  /** The jobs that went `after` a job that failed for good go too, stored or not. */
  private dropFollowers(failed: QueuedJob<R>, reason: string): void {
    const followers = this.jobs.filter((job) => job.after === failed.id);
    if (!followers.length) return;
    this.jobs = this.jobs.filter((job) => job.after !== failed.id);
    followers.forEach((job) => this.settled.add(job.id));
    this.persist();
    for (const job of followers) {
      const waiter = this.waiters.get(job.id);
      this.waiters.delete(job.id);
      waiter?.reject(new DroppedJob(`not sent: ${failed.label} failed (${reason})`));
      this.dropFollowers(job, reason);
    }
  }

  private notify(): void {
    const status = this.status();
    this.listeners.forEach((listener) => listener(status));
  }

  private load(): QueuedJob<R>[] {
    const raw = this.opts.storage?.getItem(this.opts.storageKey);
    if (!raw) return [];
    try {
      const jobs = JSON.parse(raw);
      return Array.isArray(jobs) ? jobs : [];
    } catch {
      return [];
    }
  }

  /** The stored queue is shared by the user's open tabs: what another tab stored and this one
   * never settled is kept beside this tab's jobs, so a tab closed offline loses nothing (it was
   * overwritten by the next tab to store). A job both tabs hold may be sent twice: its client_key
   * makes the second a retry. */
  private persist(): void {
    if (!this.opts.storage) return;
    const mine = new Set(this.jobs.map((job) => job.id));
    const others = this.load().filter((job) => !mine.has(job.id) && !this.settled.has(job.id));
    try {
      this.opts.storage.setItem(this.opts.storageKey, JSON.stringify([...others, ...this.jobs]));
    } catch {
      // Storage full or disabled: the in-memory queue still delivers while the tab is open.
    }
  }
}

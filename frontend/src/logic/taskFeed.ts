// Which comparison is on screen and which one waits behind it.
//
// While the annotator reads the current task, the next one is already leased (next-task?ahead=1)
// and loaded, so a submit shows it at once. A task whose lease is about to run out is not shown;
// a task the annotator already finished is never shown again, even if the server has not seen
// the write yet (it sits in the retry queue): then the feed waits for the queue and asks again.

import type { Task } from "../types";

export interface FeedSource {
  /** GET next-task (ahead=false: the caller's live lease or a new one; true: one more ahead). */
  next(ahead: boolean): Promise<Task | null>;
  /** Resolves once earlier writes (judgments, skips) have reached the server. */
  settled(): Promise<void>;
  now?: () => number;
}

/** Leases with less than this left are not worth starting on. */
export const MIN_LEASE_LEFT_MS = 30_000;

export class TaskFeed {
  current: Task | null = null;
  private upcoming: Task[] = [];
  private finished = new Set<number>();
  private prefetching: Promise<void> | null = null;

  /** `onChange` is called when a lease-ahead request ends (for a "next ready" hint). */
  constructor(
    private readonly source: FeedSource,
    private readonly onChange: () => void = () => undefined,
  ) {}

  get ready(): Task | null {
    return this.upcoming[0] ?? null;
  }

  /** A lease-ahead request is on its way. */
  get loadingAhead(): boolean {
    return this.prefetching !== null;
  }

  async start(): Promise<Task | null> {
    this.current = await this.fetchCurrent();
    this.prefetch();
    return this.current;
  }

  /** The current task was judged or skipped: move to the next. */
  async advance(): Promise<Task | null> {
    if (this.current) this.finished.add(this.current.id);
    this.current = this.takeUpcoming();
    if (!this.current && this.prefetching) {
      await this.prefetching;
      this.current = this.takeUpcoming();
    }
    if (!this.current) {
      await this.source.settled();
      this.current = await this.fetchCurrent();
    }
    this.prefetch();
    return this.current;
  }

  /** Undo: the reopened task comes back on screen; the one that was there waits next in line. */
  reopen(task: Task): void {
    this.finished.delete(task.id);
    if (this.current && this.current.id !== task.id) this.upcoming.unshift(this.current);
    this.upcoming = this.upcoming.filter((queued) => queued.id !== task.id);
    this.current = task;
  }

  /**
   * Lease the next task in the background, if none is waiting. It waits for earlier writes first:
   * the server answers ahead=1 with the caller's second live lease, and until the judgment of
   * the task just finished lands, that is the task now on screen. Errors are ignored: advance()
   * asks again.
   */
  prefetch(): Promise<void> {
    if (this.prefetching) return this.prefetching;
    if (!this.current || this.upcoming.length > 0) return Promise.resolve();
    this.prefetching = this.source
      .settled()
      .then(() => this.source.next(true))
      .then((task) => {
        if (task && this.isNew(task)) this.upcoming.push(task);
      })
      .catch(() => undefined)
      .finally(() => {
        this.prefetching = null;
        this.onChange();
      });
    return this.prefetching;
  }

  private takeUpcoming(): Task | null {
    while (this.upcoming.length > 0) {
      const task = this.upcoming.shift() as Task;
      if (this.leaseLeftMs(task) > MIN_LEASE_LEFT_MS && !this.finished.has(task.id)) return task;
    }
    return null;
  }

  private async fetchCurrent(): Promise<Task | null> {
    const task = await this.source.next(false);
    if (!task || !this.finished.has(task.id)) return task;
    // The server still holds our lease on a task we finished: the write is in flight.
    await this.source.settled();
    const again = await this.source.next(false);
    return again && !this.finished.has(again.id) ? again : null;
  }

  private isNew(task: Task): boolean {
    return (
      task.id !== this.current?.id &&
      !this.finished.has(task.id) &&
      !this.upcoming.some((queued) => queued.id === task.id)
    );
  }

  private leaseLeftMs(task: Task): number {
    const now = this.source.now ? this.source.now() : Date.now();
    const expires = Date.parse(task.lease_expires_at);
    return Number.isNaN(expires) ? Infinity : expires - now;
  }
}

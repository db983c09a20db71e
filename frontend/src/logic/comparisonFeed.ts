// Which comparison is on screen and which one waits behind it.
//
// While the annotator reads the current comparison, the next one is already leased
// (next-task?ahead=1) and loaded, so a submit shows it at once. A comparison whose lease is about
// to run out is not shown; one the annotator already finished is never shown again, even if the
// server has not seen
// the write yet (it sits in the retry queue): then the feed waits for the queue and asks again.

import type { Comparison } from "../types";

export interface FeedSource {
  /** GET next-task, the route's old name for a comparison (ahead=false: the caller's live
   * lease or a new one; true: one more ahead). */
  next(ahead: boolean): Promise<Comparison | null>;
  /** Resolves once earlier writes (judgments, skips) have reached the server. */
  settled(): Promise<void>;
  now?: () => number;
}

/** Leases with less than this left are not worth starting on. */
export const MIN_LEASE_LEFT_MS = 30_000;

export class ComparisonFeed {
  current: Comparison | null = null;
  private upcoming: Comparison[] = [];
  private finished = new Set<number>();
  private prefetching: Promise<void> | null = null;

  /** `onChange` is called when a lease-ahead request ends (for a "next ready" hint). */
  constructor(
    private readonly source: FeedSource,
    private readonly onChange: () => void = () => undefined,
  ) {}

  get ready(): Comparison | null {
    return this.upcoming[0] ?? null;
  }

  /** A lease-ahead request is on its way. */
  get loadingAhead(): boolean {
    return this.prefetching !== null;
  }

  async start(): Promise<Comparison | null> {
    this.current = await this.fetchCurrent();
    this.prefetch();
    return this.current;
  }

  /** The current comparison was judged or skipped: move to the next. */
  async advance(): Promise<Comparison | null> {
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

  /** Undo: the reopened comparison comes back on screen; the one that was there waits next in line. */
  reopen(comparison: Comparison): void {
    this.finished.delete(comparison.id);
    if (this.current && this.current.id !== comparison.id) this.upcoming.unshift(this.current);
    this.upcoming = this.upcoming.filter((queued) => queued.id !== comparison.id);
    this.current = comparison;
  }

  /**
   * Lease the next comparison in the background, if none is waiting. It waits for earlier writes first:
   * the server answers ahead=1 with the caller's second live lease, and until the judgment of
   * the comparison just finished lands, that is the comparison now on screen. Errors are ignored:
   * advance() asks again.
   */
  prefetch(): Promise<void> {
    if (this.prefetching) return this.prefetching;
    if (!this.current || this.upcoming.length > 0) return Promise.resolve();
    this.prefetching = this.source
      .settled()
      .then(() => this.source.next(true))
      .then((comparison) => {
        if (comparison && this.isNew(comparison)) this.upcoming.push(comparison);
      })
      .catch(() => undefined)
      .finally(() => {
        this.prefetching = null;
        this.onChange();
      });
    return this.prefetching;
  }

  private takeUpcoming(): Comparison | null {
    while (this.upcoming.length > 0) {
      const comparison = this.upcoming.shift() as Comparison;
      if (this.leaseLeftMs(comparison) > MIN_LEASE_LEFT_MS && !this.finished.has(comparison.id)) return comparison;
    }
    return null;
  }

  private async fetchCurrent(): Promise<Comparison | null> {
    const comparison = await this.source.next(false);
    if (!comparison || !this.finished.has(comparison.id)) return comparison;
    // The server still holds our lease on a comparison we finished: the write is in flight.
    await this.source.settled();
    const again = await this.source.next(false);
    return again && !this.finished.has(again.id) ? again : null;
  }

  private isNew(comparison: Comparison): boolean {
    return (
      comparison.id !== this.current?.id &&
      !this.finished.has(comparison.id) &&
      !this.upcoming.some((queued) => queued.id === comparison.id)
    );
  }

  private leaseLeftMs(comparison: Comparison): number {
    const now = this.source.now ? this.source.now() : Date.now();
    const expires = Date.parse(comparison.lease_expires_at ?? "");
    return Number.isNaN(expires) ? Infinity : expires - now;
  }
}

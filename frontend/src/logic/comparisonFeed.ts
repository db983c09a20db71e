// Which comparison is on screen and which one waits behind it.
//
// While the annotator reads the current comparison, the next one is already leased
// (next-task?ahead=1) and loaded, so a submit shows it at once. A comparison whose lease is about
// to run out is not shown; one the annotator already finished is never shown again, even if the
// server has not seen the write yet (it sits in the retry queue): then the feed waits for the
// queue and asks again. That holds across a reload too: a page opened while judgments made
// before (offline, in a closed tab) still wait in the stored queue counts their comparisons
// finished from the start, or the server, which has not seen them, would offer one again.

import type { Comparison } from "../types";
import type { QueueStatus } from "./retryQueue";

export interface FeedSource {
  /** GET next-task, the route's old name for a comparison (ahead=false: the caller's live
   * lease or a new one; true: one more ahead). */
  next(ahead: boolean): Promise<Comparison | null>;
  /** Resolves once earlier writes (judgments, skips) have reached the server. */
  settled(): Promise<void>;
  /** The comparisons whose judgment or skip waits in the write queue (stored by an earlier page too). */
  pending?: () => Iterable<number>;
  now?: () => number;
}

/** Leases with less than this left are not worth starting on. */
export const MIN_LEASE_LEFT_MS = 30_000;

/** What waits behind the current comparison: "ready" (leased and loaded), "loading" (asked),
 * "failed" (the last ask got no answer: asked again by prefetch()), "none" (the server has none). */
export type AheadState = "ready" | "loading" | "failed" | "none";

export class ComparisonFeed {
  current: Comparison | null = null;
  private upcoming: Comparison[] = [];
  private finished = new Set<number>();
  private prefetching: Promise<void> | null = null;
  private lastAsk: "failed" | "none" | null = null;

  /** `onChange` is called when a lease-ahead request ends (for the dock's "next ready" hint, `ahead`). */
  constructor(
    private readonly source: FeedSource,
    private readonly onChange: () => void = () => undefined,
  ) {}

  get ready(): Comparison | null {
    return this.upcoming[0] ?? null;
  }

  get ahead(): AheadState {
    if (this.upcoming.length > 0) return "ready";
    if (this.prefetching) return "loading";
    return this.lastAsk ?? "loading";
  }

  async start(): Promise<Comparison | null> {
    for (const id of this.source.pending?.() ?? []) this.finished.add(id);
    this.current = await this.fetchCurrent();
    this.prefetch();
    return this.current;
  }

  /** The current comparison was judged or skipped: move to the next. */
  async advance(): Promise<Comparison | null> {
    if (this.current) this.finished.add(this.current.id);
    this.current = this.takeUpcoming();
    if (!this.current) {
      // Nothing leased ahead in time: ask for the live lease, not the ahead one. A lease-ahead
      // still on its way may land after the comparison just finished was judged; the server then
      // leases two and answers the second, and the first would never be shown (held until its
      // lease ran out, while "Last one for now" showed). Asked together, the two answers are the
      // first and second live leases whatever their order; prefetch() keeps the second.
      await this.source.settled();
      this.current = await this.fetchCurrent();
      this.dropCurrentFromUpcoming();
    }
    this.prefetch();
    return this.current;
  }

  /** The comparison on screen was finished in another tab: move to what that tab moved to, the
   * annotator's first live lease as the server answers it, not to the one leased ahead here.
   * This tab's lease-ahead may have been answered after the other tab's write landed, and then
   * it is the comparison after the one that tab shows: the tabs would part ways. What waits
   * here stays next, unless it is the one now shown. */
  async catchUp(): Promise<Comparison | null> {
    if (this.current) this.finished.add(this.current.id);
    this.current = null;
    await this.source.settled();
    this.current = (await this.fetchCurrent()) ?? this.takeUpcoming();
    this.dropCurrentFromUpcoming();
    this.prefetch();
    return this.current;
  }

  /** `comparisonId` was judged or skipped elsewhere (another tab): it is not shown from here on.
   * True when it is the one on screen (the caller moves on with advance()). */
  finishedElsewhere(comparisonId: number): boolean {
    this.finished.add(comparisonId);
    this.upcoming = this.upcoming.filter((queued) => queued.id !== comparisonId);
    return this.current?.id === comparisonId;
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
   * the comparison just finished lands, that is the comparison now on screen. A failed ask leaves
   * `ahead` "failed" until the next call (the screen calls again when the connection returns;
   * advance() asks for the live lease itself).
   */
  prefetch(): Promise<void> {
    if (this.prefetching) return this.prefetching;
    if (!this.current || this.upcoming.length > 0) return Promise.resolve();
    this.prefetching = this.leaseAhead().finally(() => {
      this.prefetching = null;
      this.onChange();
    });
    return this.prefetching;
  }

  private async leaseAhead(): Promise<void> {
    this.lastAsk = null;
    try {
      let comparison = await this.askAhead();
      // An answer asked for before the comparison on screen became the first live lease (it
      // was the second then) is that comparison: ask once more for the one after it.
      if (comparison && comparison.id === this.current?.id) comparison = await this.askAhead();
      if (comparison && this.isNew(comparison)) this.upcoming.push(comparison);
      else this.lastAsk = comparison ? "failed" : "none";
    } catch {
      this.lastAsk = "failed";
    }
  }

  private async askAhead(): Promise<Comparison | null> {
    await this.source.settled();
    return this.source.next(true);
  }

  /** A lease-ahead answered while the current comparison was being asked for may be that same
   * comparison (it was the second live lease when asked): it is not also next. */
  private dropCurrentFromUpcoming(): void {
    this.upcoming = this.upcoming.filter((queued) => queued.id !== this.current?.id);
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

/** The comparisons that writes in the queue end (a judgment, a skip): never to be offered again,
 * whatever the server says before they reach it. A flag alone ends nothing. */
export function comparisonsEndedBy(requests: readonly { path: string; body: unknown }[]): Set<number> {
  const ended = new Set<number>();
  for (const { path, body } of requests) {
    const skipped = /^\/api\/comparisons\/(\d+)\/skip\/$/.exec(path);
    if (skipped) ended.add(Number(skipped[1]));
    const judged = path === "/api/judgments/" ? (body as { comparison?: unknown } | null)?.comparison : undefined;
    if (typeof judged === "number") ended.add(judged);
  }
  return ended;
}

/** What the pane says instead of bare placeholders while the next comparison cannot load: the
 * feed waits for earlier writes (queue) before it asks, and cannot ask offline. Null while it
 * merely loads. */
export function waitingMessage(online: boolean, queue: Pick<QueueStatus, "state" | "pending">): string | null {
  const unsaved = (until: string) => (queue.pending ? ` · ${queue.pending} unsaved, sent once ${until}` : "");
  if (queue.state === "paused") return `Signed out: log in again to save ${queue.pending} unsaved and load the next comparison`;
  if (!online) return `Offline: waiting for the connection to load the next comparison${unsaved("it is back")}`;
  if (queue.state === "waiting") return `The server is not answering: waiting to load the next comparison${unsaved("it answers")}`;
  return null;
}

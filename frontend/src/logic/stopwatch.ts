// Time spent on a comparison: counts only while the tab is visible, so a lunch break with the tab in
// the background does not land in time_spent_ms.

export class Stopwatch {
  private accumulated = 0;
  private startedAt: number | null = null;

  /** `alreadyMs`: time already spent on the comparison before (one reopened by undo keeps its time). */
  constructor(
    private readonly now: () => number = () => performance.now(),
    alreadyMs = 0,
  ) {
    this.accumulated = alreadyMs;
  }

  start(): void {
    if (this.startedAt === null) this.startedAt = this.now();
  }

  pause(): void {
    if (this.startedAt === null) return;
    this.accumulated += this.now() - this.startedAt;
    this.startedAt = null;
  }

  get running(): boolean {
    return this.startedAt !== null;
  }

  elapsedMs(): number {
    const live = this.startedAt === null ? 0 : this.now() - this.startedAt;
    return Math.round(this.accumulated + live);
  }
}

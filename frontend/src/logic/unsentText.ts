// What an annotator did on a comparison and has not sent yet (the verdicts chosen, the rationale,
// the ideal response, the time spent), kept in the browser so that a reload, a crashed tab, or an
// undo that puts another comparison in its place does not lose it. The choices and the text are one
// entry, kept and restored together: a reload that brought the rationale back without the verdict
// looked restored while it was not. Only the last few comparisons are kept: an entry is dropped once
// its comparison is submitted or skipped, and the oldest go first if that ever fails.

export interface UnsentText {
  rationale: string;
  demonstration: string;
}

/** The text with the draft's choices (logic/draft: savedDraft, null while none) and the time spent. */
export interface UnsentWork extends UnsentText {
  draft: unknown;
  timeMs: number;
}

type Store = Pick<Storage, "getItem" | "setItem">;
type Entries = Record<string, Partial<UnsentWork> & { at: number }>;

/** At most this many comparisons' texts are kept. */
export const UNSENT_KEEP = 20;

export class UnsentTextStore {
  /** The entries while the browser refuses to store them (no storage, full, private mode): kept
   * for this page only, so that what an undo displaced still comes back, though not after a reload. */
  private unstored: Entries | null = null;

  constructor(private readonly storage: Store | null, private readonly key: string, private readonly now = () => Date.now()) {}

  load(comparisonId: number): UnsentWork | null {
    const entry = this.read()[String(comparisonId)];
    if (!entry || typeof entry !== "object") return null;
    const text = (value: unknown) => (typeof value === "string" ? value : "");
    const timeMs = typeof entry.timeMs === "number" && entry.timeMs >= 0 ? entry.timeMs : 0;
    return { rationale: text(entry.rationale), demonstration: text(entry.demonstration), draft: entry.draft ?? null, timeMs };
  }

  /** Keep `work` for the comparison; nothing typed or chosen removes its entry. */
  save(comparisonId: number, work: UnsentText & Partial<Pick<UnsentWork, "draft" | "timeMs">>): void {
    const entries = this.read();
    const id = String(comparisonId);
    const draft = work.draft ?? null;
    if (!work.rationale && !work.demonstration && draft === null) {
      if (!(id in entries)) return;
      delete entries[id];
    } else {
      entries[id] = { rationale: work.rationale, demonstration: work.demonstration, draft, timeMs: work.timeMs ?? 0, at: this.now() };
    }
    const newest = Object.entries(entries).sort(([, a], [, b]) => b.at - a.at).slice(0, UNSENT_KEEP);
    this.write(Object.fromEntries(newest));
  }

  forget(comparisonId: number): void {
    this.save(comparisonId, { rationale: "", demonstration: "" });
  }

  private read(): Entries {
    if (this.unstored) return { ...this.unstored };
    try {
      const parsed = JSON.parse(this.storage?.getItem(this.key) ?? "{}");
      return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Entries) : {};
    } catch {
      return {}; // unreadable (hand-edited, another version): start afresh
    }
  }

  private write(entries: Entries): void {
    try {
      if (!this.storage) throw new Error("no storage");
      this.storage.setItem(this.key, JSON.stringify(entries));
      this.unstored = null;
    } catch {
      this.unstored = entries; // storage full or refused (private mode): kept, only not across a reload
    }
  }
}

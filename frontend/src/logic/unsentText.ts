// What an annotator typed on a comparison and has not sent yet (the rationale, the ideal response),
// kept in the browser so that a reload or a crashed tab does not lose it. Only the last few
// comparisons are kept: an entry is dropped once its comparison is left (submitted or skipped),
// and the oldest go first if that ever fails.

export interface UnsentText {
  rationale: string;
  demonstration: string;
}

type Store = Pick<Storage, "getItem" | "setItem">;
type Entries = Record<string, UnsentText & { at: number }>;

/** At most this many comparisons' texts are kept. */
export const UNSENT_KEEP = 20;

export class UnsentTextStore {
  constructor(private readonly storage: Store | null, private readonly key: string, private readonly now = () => Date.now()) {}

  load(comparisonId: number): UnsentText | null {
    const entry = this.read()[String(comparisonId)];
    return entry ? { rationale: entry.rationale, demonstration: entry.demonstration } : null;
  }

  /** Keep `text` for the comparison; nothing typed removes its entry. */
  save(comparisonId: number, text: UnsentText): void {
    const entries = this.read();
    const id = String(comparisonId);
    if (!text.rationale && !text.demonstration) {
      if (!(id in entries)) return;
      delete entries[id];
    } else {
      entries[id] = { ...text, at: this.now() };
    }
    const newest = Object.entries(entries).sort(([, a], [, b]) => b.at - a.at).slice(0, UNSENT_KEEP);
    this.write(Object.fromEntries(newest));
  }

  forget(comparisonId: number): void {
    this.save(comparisonId, { rationale: "", demonstration: "" });
  }

  private read(): Entries {
    try {
      const parsed = JSON.parse(this.storage?.getItem(this.key) ?? "{}");
      return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Entries) : {};
    } catch {
      return {}; // unreadable (hand-edited, another version): start afresh
    }
  }

  private write(entries: Entries): void {
    try {
      this.storage?.setItem(this.key, JSON.stringify(entries));
    } catch {
      // storage full or refused (private mode): the text stays on screen, only not across a reload
    }
  }
}

// Two tabs of one annotator on one project are served the same comparisons: a lease is the user's,
// not the tab's (next-task answers both tabs with the same live lease). Judged in both, the second
// submit was refused (409, already judged in another tab or session) and its work lost. The tabs
// now tell each other, over a BroadcastChannel where the browser has one, which comparison each
// has on screen and which ones they finished: a tab moves past a comparison the other finished
// before the annotator works on it, and says so while the same comparison is open in both.

export type PeerMessage =
  | { type: "hello"; tab: string }
  | { type: "showing"; tab: string; comparison: number | null }
  | { type: "finished"; tab: string; comparison: number }
  | { type: "bye"; tab: string };

/** The part of a BroadcastChannel used here. */
export interface PeerChannel {
  postMessage(message: PeerMessage): void;
  close(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export interface PeerEvents {
  /** Another tab's judgment or skip of `comparison` reached the server. */
  finishedElsewhere(comparison: number): void;
  /** What the other tabs have on screen changed. */
  changed(): void;
}

/** A channel named `name`, or null where the browser has none (the tabs then work as before). */
export function openPeerChannel(name: string): PeerChannel | null {
  if (typeof BroadcastChannel !== "function") return null;
  try {
    return new BroadcastChannel(name) as unknown as PeerChannel;
  } catch {
    return null;
  }
}

export class TabPeers {
  private shown: number | null = null;
  /** What each other tab has on screen, by its id. */
  private others = new Map<string, number | null>();

  constructor(private readonly channel: PeerChannel | null, private readonly tab: string, private readonly events: PeerEvents) {
    if (!channel) return;
    channel.onmessage = (event) => this.receive(event.data);
    this.post({ type: "hello", tab }); // the tabs already open answer with what they show
  }

  /** This tab now shows `comparison` (null: none). */
  showing(comparison: number | null): void {
    this.shown = comparison;
    this.post({ type: "showing", tab: this.tab, comparison });
  }

  /** This tab's judgment or skip of `comparison` reached the server. */
  finished(comparison: number): void {
    this.post({ type: "finished", tab: this.tab, comparison });
  }

  /** Whether `comparison` is on screen in another tab too. */
  openElsewhere(comparison: number): boolean {
    return [...this.others.values()].includes(comparison);
  }

  /** The tab goes (closed, or the annotator left the screen). */
  close(): void {
    this.post({ type: "bye", tab: this.tab });
    if (this.channel) this.channel.onmessage = null;
    this.channel?.close();
  }

  private receive(data: unknown): void {
    const message = asMessage(data);
    if (!message || message.tab === this.tab) return;
    switch (message.type) {
      case "hello":
        this.post({ type: "showing", tab: this.tab, comparison: this.shown });
        return;
      case "showing":
        this.others.set(message.tab, message.comparison);
        return this.events.changed();
      case "bye":
        this.others.delete(message.tab);
        return this.events.changed();
      case "finished":
        return this.events.finishedElsewhere(message.comparison);
    }
  }

  private post(message: PeerMessage): void {
    try {
      this.channel?.postMessage(message);
    } catch {
      // closed already (the page is going): nothing to tell
    }
  }
}

/** `data` as a message, or null for anything else on the channel (another version of the app). */
function asMessage(data: unknown): PeerMessage | null {
  if (!data || typeof data !== "object") return null;
  const { type, tab, comparison } = data as Record<string, unknown>;
  if (typeof tab !== "string") return null;
  if (type === "hello" || type === "bye") return { type, tab };
  if (type === "showing" && (comparison === null || typeof comparison === "number")) return { type, tab, comparison };
  if (type === "finished" && typeof comparison === "number") return { type, tab, comparison };
  return null;
}

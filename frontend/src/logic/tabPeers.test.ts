import { describe, expect, it } from "vitest";
import { type PeerChannel, type PeerMessage, TabPeers } from "./tabPeers";

/** BroadcastChannels of one name: a message reaches every other open one, later (a microtask here,
 * so that a flush sees every answer to an answer). */
function hub() {
  const channels = new Set<PeerChannel>();
  return () => {
    const channel: PeerChannel = {
      onmessage: null,
      postMessage: (message: PeerMessage) => {
        for (const other of channels) {
          if (other !== channel) queueMicrotask(() => other.onmessage?.({ data: structuredClone(message) }));
        }
      },
      close: () => void channels.delete(channel),
    };
    channels.add(channel);
    return channel;
  };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function tab(open: () => PeerChannel, id: string) {
  const finished: number[] = [];
  let changes = 0;
  const peers = new TabPeers(open(), id, { finishedElsewhere: (c) => finished.push(c), changed: () => { changes += 1; } });
  return { peers, finished, changes: () => changes };
}

describe("TabPeers", () => {
  it("tells a tab what another has on screen, also one opened later, and when it goes", async () => {
    const open = hub();
    const first = tab(open, "one");
    first.peers.showing(7);
    const second = tab(open, "two"); // opened later: its hello is answered
    second.peers.showing(7);
    await flush();
    expect(second.peers.openElsewhere(7)).toBe(true);
    expect(first.peers.openElsewhere(7)).toBe(true);
    first.peers.showing(8);
    await flush();
    expect(second.peers.openElsewhere(7)).toBe(false);
    expect(second.peers.openElsewhere(8)).toBe(true);
    first.peers.close();
    await flush();
    expect(second.peers.openElsewhere(8)).toBe(false);
    expect(second.changes()).toBeGreaterThan(0);
  });

  it("tells the other tabs, not itself, what it finished", async () => {
    const open = hub();
    const first = tab(open, "one");
    const second = tab(open, "two");
    first.peers.finished(7);
    await flush();
    expect(second.finished).toEqual([7]);
    expect(first.finished).toEqual([]);
  });

  it("ignores what is not its message, and works alone without a channel", async () => {
    const open = hub();
    const first = tab(open, "one");
    const stranger = open();
    stranger.postMessage({ type: "finished", tab: "x", comparison: "7" } as unknown as PeerMessage);
    stranger.postMessage({ type: "showing", comparison: 7 } as unknown as PeerMessage);
    await flush();
    expect(first.finished).toEqual([]);
    expect(first.peers.openElsewhere(7)).toBe(false);
    const alone = new TabPeers(null, "solo", { finishedElsewhere: () => undefined, changed: () => undefined });
    alone.showing(3);
    alone.finished(3);
    alone.close();
    expect(alone.openElsewhere(3)).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { UNSENT_KEEP, UnsentTextStore } from "./unsentText";

function memory(): Storage {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null, setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key), clear: () => items.clear(), key: () => null, length: 0,
  };
}

describe("unsent text", () => {
  it("comes back for its comparison only, and goes once forgotten or emptied", () => {
    const storage = memory();
    const store = new UnsentTextStore(storage, "k");
    store.save(7, { rationale: "B cites a source", demonstration: "" });
    store.save(8, { rationale: "", demonstration: "The ideal answer" });
    const reloaded = new UnsentTextStore(storage, "k"); // a reload: a new store over the same storage
    expect(reloaded.load(7)).toEqual({ rationale: "B cites a source", demonstration: "", draft: null, timeMs: 0 });
    expect(reloaded.load(8)).toEqual({ rationale: "", demonstration: "The ideal answer", draft: null, timeMs: 0 });
    expect(reloaded.load(9)).toBeNull();
    reloaded.forget(7);
    reloaded.save(8, { rationale: "", demonstration: "" });
    expect([reloaded.load(7), reloaded.load(8)]).toEqual([null, null]);
  });

  it("keeps only the newest few comparisons", () => {
    let clock = 0;
    const store = new UnsentTextStore(memory(), "k", () => (clock += 1));
    for (let id = 1; id <= UNSENT_KEEP + 3; id += 1) store.save(id, { rationale: `r${id}`, demonstration: "" });
    expect(store.load(3)).toBeNull();
    expect(store.load(4)).toEqual({ rationale: "r4", demonstration: "", draft: null, timeMs: 0 });
    expect(store.load(UNSENT_KEEP + 3)).not.toBeNull();
  });

  it("keeps the draft's choices with the text, and a draft alone, as one entry", () => {
    const storage = memory();
    const store = new UnsentTextStore(storage, "k");
    const chosen = { verdicts: { overall: { winner: "a", strength: 2 } } };
    store.save(7, { rationale: "A is right", demonstration: "", draft: chosen, timeMs: 4200 });
    store.save(8, { rationale: "", demonstration: "", draft: chosen, timeMs: 100 });
    const reloaded = new UnsentTextStore(storage, "k");
    expect(reloaded.load(7)).toEqual({ rationale: "A is right", demonstration: "", draft: chosen, timeMs: 4200 });
    expect(reloaded.load(8)).toEqual({ rationale: "", demonstration: "", draft: chosen, timeMs: 100 });
    reloaded.save(8, { rationale: "", demonstration: "", draft: null, timeMs: 200 }); // every choice taken back
    reloaded.forget(7);
    expect(storage.getItem("k")).toBe("{}");
  });

  it("starts afresh from unreadable storage, and keeps entries in the page without any", () => {
    const storage = memory();
    storage.setItem("k", "{not json");
    expect(new UnsentTextStore(storage, "k").load(1)).toBeNull();
    // Without storage (or when it refuses), what an undo displaced still comes back on this page,
    // only not after a reload (a new store).
    const none = new UnsentTextStore(null, "k");
    none.save(1, { rationale: "x", demonstration: "" });
    expect(none.load(1)).toEqual({ rationale: "x", demonstration: "", draft: null, timeMs: 0 });
    expect(new UnsentTextStore(null, "k").load(1)).toBeNull();
    const full = { ...memory(), setItem: () => { throw new Error("QuotaExceededError"); } };
    const refused = new UnsentTextStore(full, "k");
    refused.save(2, { rationale: "y", demonstration: "" });
    expect(refused.load(2)).toMatchObject({ rationale: "y" });
    refused.forget(2);
    expect(refused.load(2)).toBeNull();
  });
});

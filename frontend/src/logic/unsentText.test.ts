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
    expect(reloaded.load(7)).toEqual({ rationale: "B cites a source", demonstration: "" });
    expect(reloaded.load(8)).toEqual({ rationale: "", demonstration: "The ideal answer" });
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
    expect(store.load(4)).toEqual({ rationale: "r4", demonstration: "" });
    expect(store.load(UNSENT_KEEP + 3)).not.toBeNull();
  });

  it("starts afresh from unreadable storage and works without any", () => {
    const storage = memory();
    storage.setItem("k", "{not json");
    expect(new UnsentTextStore(storage, "k").load(1)).toBeNull();
    const none = new UnsentTextStore(null, "k");
    none.save(1, { rationale: "x", demonstration: "" });
    expect(none.load(1)).toBeNull();
  });
});

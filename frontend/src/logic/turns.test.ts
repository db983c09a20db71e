import { describe, expect, it } from "vitest";
import { foldedTurns } from "./turns";

const turns = (...roles: ("system" | "user" | "assistant")[]) => roles.map((role) => ({ role }));

describe("folded turns", () => {
  it("keeps the original question and the last three turns, folding the middle", () => {
    const messages = turns("system", "user", "assistant", "user", "assistant", "user", "assistant", "user");
    expect(foldedTurns(messages)).toEqual({ start: 2, end: 5 });
  });

  it("folds nothing in a short conversation, or where only one turn would fold", () => {
    expect(foldedTurns(turns("user"))).toBeNull();
    expect(foldedTurns(turns("system", "user", "assistant", "user"))).toBeNull();
    expect(foldedTurns(turns("user", "assistant", "user", "assistant", "user"))).toBeNull();
  });

  it("keeps a conversation with no user turn whole up to its tail", () => {
    expect(foldedTurns(turns("system", "assistant", "assistant", "assistant", "assistant", "assistant"))).toEqual({ start: 0, end: 3 });
  });
});

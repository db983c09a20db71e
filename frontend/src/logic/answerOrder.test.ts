import { describe, expect, it } from "vitest";
import { AnswerOrder } from "./answerOrder";

describe("AnswerOrder", () => {
  it("shows answers that arrive in order", () => {
    const order = new AnswerOrder();
    const first = order.ask();
    expect(order.accept(first)).toBe(true);
    const second = order.ask();
    const third = order.ask();
    expect(order.accept(second)).toBe(true);
    expect(order.accept(third)).toBe(true);
  });

  it("discards an older answer that arrives after a newer one", () => {
    const order = new AnswerOrder();
    const older = order.ask(); // e.g. "29 left", asked before the judgment landed
    const newer = order.ask(); // "28 left"
    expect(order.accept(newer)).toBe(true);
    expect(order.accept(older)).toBe(false);
  });

  it("discards answers asked before the value changed on the screen", () => {
    const order = new AnswerOrder();
    const before = order.ask();
    order.changedHere(); // a submit counted ahead of the server
    expect(order.accept(before)).toBe(false);
    expect(order.accept(order.ask())).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { dropIndex, impliedPairs, moveItem, moveLetter, ordinal } from "./ranking";

describe("moveItem", () => {
  it("moves an item down and up", () => {
    expect(moveItem(["a", "b", "c", "d"], 0, 2)).toEqual(["b", "c", "a", "d"]);
    expect(moveItem(["a", "b", "c", "d"], 3, 0)).toEqual(["d", "a", "b", "c"]);
  });

  it("clamps the target and never loses or duplicates items", () => {
    expect(moveItem(["a", "b", "c"], 1, 99)).toEqual(["a", "c", "b"]);
    expect(moveItem(["a", "b", "c"], 1, -5)).toEqual(["b", "a", "c"]);
    expect(moveItem(["a", "b", "c"], 7, 0)).toEqual(["a", "b", "c"]);
  });

  it("does not change its input", () => {
    const order = ["a", "b"];
    moveItem(order, 0, 1);
    expect(order).toEqual(["a", "b"]);
  });
});

describe("moveLetter", () => {
  it("moves by a signed number of places", () => {
    expect(moveLetter(["a", "b", "c"], "c", -1)).toEqual(["a", "c", "b"]);
    expect(moveLetter(["a", "b", "c"], "a", 1)).toEqual(["b", "a", "c"]);
    expect(moveLetter(["a", "b", "c"], "a", -1)).toEqual(["a", "b", "c"]);
    expect(moveLetter(["a", "b", "c"], "b", -10)).toEqual(["b", "a", "c"]);
  });

  it("ignores an unknown letter", () => {
    expect(moveLetter(["a", "b"], "z", 1)).toEqual(["a", "b"]);
  });
});

describe("dropIndex", () => {
  const midpoints = [50, 150, 250];
  it("counts the midpoints before the pointer", () => {
    expect(dropIndex(midpoints, 0)).toBe(0);
    expect(dropIndex(midpoints, 60)).toBe(1);
    expect(dropIndex(midpoints, 249)).toBe(2);
    expect(dropIndex(midpoints, 900)).toBe(3);
  });
});

describe("impliedPairs", () => {
  it("gives K(K-1)/2 better-worse pairs", () => {
    expect(impliedPairs(["b", "a", "c"])).toEqual([["b", "a"], ["b", "c"], ["a", "c"]]);
    expect(impliedPairs(["a", "b", "c", "d"])).toHaveLength(6);
  });
});

describe("ordinal", () => {
  it("names ranks", () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22].map(ordinal)).toEqual([
      "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd",
    ]);
  });
});

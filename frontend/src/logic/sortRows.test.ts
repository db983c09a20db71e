import { describe, expect, it } from "vitest";
import { nextSort, sortRows } from "./sortRows";

interface Row {
  name: string;
  agreement: number | null;
}

const rows: Row[] = [
  { name: "bob", agreement: 0.7 },
  { name: "ann", agreement: null },
  { name: "carl", agreement: 0.9 },
  { name: "dee", agreement: 0.7 },
  { name: "ed", agreement: Number.NaN },
];
const cell = (row: Row, key: "name" | "agreement") => row[key];
const names = (sorted: Row[]) => sorted.map((row) => row.name);

describe("sortRows", () => {
  it("sorts numbers both ways, stable among equals", () => {
    expect(names(sortRows(rows, { key: "agreement", direction: "desc" }, cell))).toEqual(["carl", "bob", "dee", "ann", "ed"]);
    expect(names(sortRows(rows, { key: "agreement", direction: "asc" }, cell))).toEqual(["bob", "dee", "carl", "ann", "ed"]);
  });

  it("keeps missing values last whichever the direction", () => {
    const asc = names(sortRows(rows, { key: "agreement", direction: "asc" }, cell));
    expect(asc.slice(-2)).toEqual(["ann", "ed"]);
  });

  it("sorts text naturally (user2 before user10)", () => {
    const users = [{ name: "user10", agreement: 0 }, { name: "user2", agreement: 0 }];
    expect(names(sortRows(users, { key: "name", direction: "asc" }, cell))).toEqual(["user2", "user10"]);
  });

  it("does not change its input", () => {
    const copy = [...rows];
    sortRows(rows, { key: "name", direction: "asc" }, cell);
    expect(rows).toEqual(copy);
  });
});

describe("nextSort", () => {
  it("flips the same column and starts a new one at its natural direction", () => {
    const start = { key: "agreement" as const, direction: "desc" as const };
    expect(nextSort(start, "agreement")).toEqual({ key: "agreement", direction: "asc" });
    expect(nextSort(start, "name", "asc")).toEqual({ key: "name", direction: "asc" });
    expect(nextSort<"name" | "agreement">({ key: "name", direction: "asc" }, "agreement")).toEqual(start);
  });
});

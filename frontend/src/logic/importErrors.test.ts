import { describe, expect, it } from "vitest";
import { errorLine, linesAround } from "./importErrors";

describe("import errors", () => {
  it("shows the failing line between its neighbours, numbered from 1", () => {
    const text = "one\ntwo\nthree\nfour\nfive\nsix";
    expect(linesAround(text, 4, 1)).toEqual([
      { number: 3, text: "three", isError: false },
      { number: 4, text: "four", isError: true },
      { number: 5, text: "five", isError: false },
    ]);
  });

  it("stays inside the file and cuts long lines", () => {
    expect(linesAround("only\r\n", 1, 2).map((l) => l.number)).toEqual([1, 2]);
    const long = linesAround("x".repeat(1000), 1, 0)[0].text;
    expect(long.length).toBe(241);
  });

  it("finds the line in the error body", () => {
    expect(errorLine({ line: 7, detail: "line 7: bad" })).toBe(7);
    expect(errorLine({ detail: "line 12: 'chosen' is missing" })).toBe(12);
    expect(errorLine({ detail: "file is larger than the 200 MB limit" })).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { errorLine, errorPlace, guessFormat, linesAround, placeText } from "./importErrors";

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

describe("where an import failed", () => {
  it("reads the column of a JSON error and the field a message starts with", () => {
    expect(errorPlace("line 3: invalid JSON: Unterminated string starting at (column 41)")).toEqual({ column: 41, field: null });
    expect(errorPlace("line 2: missing field 'prompt'")).toEqual({ column: null, field: "prompt" });
    expect(errorPlace("line 9: 'responses[1].model' must be a string")).toEqual({ column: null, field: "responses[1].model" });
    expect(errorPlace("line 4: criterion 'x' is not one of this project's (overall)")).toEqual({ column: null, field: null });
    expect(placeText(3, { column: 41, field: null })).toBe("Line 3, column 41");
    expect(placeText(9, { column: null, field: "responses[1].model" })).toBe("Line 9, field responses[1].model");
    expect(placeText(4, { column: null, field: null })).toBe("Line 4");
  });

  it("puts a caret under the column, inside the shown part of a long line", () => {
    expect(linesAround("a\n{\"x\": tru\nc", 2, 1, 8)[1]).toEqual({ number: 2, text: '{"x": tru', isError: true, caret: 7 });
    const long = linesAround("y".repeat(1000), 1, 0, 900)[0];
    expect(long.text.length).toBe(241); // "…" and the last 240 characters
    expect(long.caret).toBe(899 - (1000 - 240) + 1);
    expect(long.text[long.caret ?? -1]).toBe("y");
  });

  it("tells the format a file looks like from its first line", () => {
    expect(guessFormat('\n{"prompt": "p", "responses": ["a", "b"]}\n')).toBe("candidates");
    expect(guessFormat('{"prompt": "p", "chosen": "a", "rejected": "b"}')).toBe("trl");
    expect(guessFormat('{"chosen": "\\n\\nHuman: hi\\n\\nAssistant: a", "rejected": "\\n\\nHuman: hi\\n\\nAssistant: b"}')).toBe("hh-rlhf");
    expect(guessFormat("not json")).toBeNull();
    expect(guessFormat('{"text": "x"}')).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import { snippetsFor } from "./snippets";

describe("snippetsFor", () => {
  it("keeps each response's text as one plain line, a code block as the word code", () => {
    const snippets = snippetsFor([
      { letter: "a", text: "# Title\n\n**Bold** and `code`" },
      { letter: "b", text: "Before\n```py\nprint(1)\n```\nafter" },
    ]);
    expect(snippets).toEqual({ a: "Title Bold and code", b: "Before code after" });
  });

  it("shortens a long response to 62 characters and an ellipsis", () => {
    const snippet = snippetsFor([{ letter: "a", text: "x".repeat(100) }]).a;
    expect(snippet).toBe(`${"x".repeat(62)}…`);
  });
});

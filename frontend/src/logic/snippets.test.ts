import { describe, expect, it } from "vitest";
import { EMPTY_SNIPPET, snippetsFor } from "./snippets";

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

  it("keeps < and > and the other characters the model wrote (the line is shown as text)", () => {
    const text = "<script>alert('xss')</script><b>bold?</b>";
    expect(snippetsFor([{ letter: "a", text }]).a).toBe(text);
    expect(snippetsFor([{ letter: "a", text: "if a > b and 2 * 3 < 7: use snake_case ~/x #tag [1]" }]).a).toBe(
      "if a > b and 2 * 3 < 7: use snake_case ~/x #tag [1]",
    );
  });

  it("takes out Markdown's marks only where they are marks: quotes, emphasis, links", () => {
    const snippet = snippetsFor([{ letter: "a", text: "> quoted _word_ and *it* ~~old~~ [docs](https://x.example) ![chart](c.png)" }]).a;
    expect(snippet).toBe("quoted word and it old docs chart");
  });

  it("says an empty or blank response is empty, as its card does", () => {
    expect(snippetsFor([{ letter: "a", text: "" }, { letter: "b", text: " \n\t " }])).toEqual({ a: EMPTY_SNIPPET, b: EMPTY_SNIPPET });
    expect(EMPTY_SNIPPET).toBe("(empty response)");
  });

  it("keeps a response made only of marks as written", () => {
    expect(snippetsFor([{ letter: "a", text: "#" }]).a).toBe("#");
  });

  it("shows hidden characters as markers, so the line cannot be reordered on screen", () => {
    expect(snippetsFor([{ letter: "a", text: "pay \u202Eeno\u202C now" }]).a).toBe("pay ⟪RLO⟫eno⟪PDF⟫ now");
  });

  it("cuts between characters, never inside an emoji", () => {
    const snippet = snippetsFor([{ letter: "a", text: "😀".repeat(70) }]).a;
    expect(snippet).toBe(`${"😀".repeat(62)}…`);
  });
});

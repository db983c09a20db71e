// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { renderGuidelines, renderMarkdown, showHiddenCharacters } from "./markdown";

function dom(html: string): HTMLElement {
  const host = document.createElement("div");
  host.innerHTML = html;
  return host;
}

describe("renderMarkdown (model output)", () => {
  it("renders Markdown and highlights code", () => {
    const host = dom(renderMarkdown("# Title\n\n**bold** and `x`\n\n```python\ndef f():\n    return 1\n```"));
    expect(host.querySelector("h1")?.textContent).toBe("Title");
    expect(host.querySelector("strong")?.textContent).toBe("bold");
    expect(host.querySelector("pre code .hljs-keyword")?.textContent).toBe("def");
    expect(host.querySelector(".code-lang")?.textContent).toBe("python");
  });

  it("lets the keyboard reach code blocks and tables, which scroll sideways", () => {
    const host = dom(renderMarkdown("```\nx = 1\n```\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\nplain `code`"));
    expect(host.querySelector("pre")?.getAttribute("tabindex")).toBe("0");
    expect(host.querySelector("table")?.getAttribute("tabindex")).toBe("0");
    expect(host.querySelectorAll("[tabindex]")).toHaveLength(2); // not the paragraph, nor inline code
  });

  it("shows raw HTML as text and creates no element from it", () => {
    const source = 'Hi <img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> <b onclick="x()">b</b>';
    const host = dom(renderMarkdown(source));
    expect(host.querySelector("img, script, b")).toBeNull();
    expect(host.textContent).toContain('<img src=x onerror="window.__xss=1">');
    expect(host.textContent).toContain("<script>window.__xss=2</script>");
    expect(host.innerHTML).not.toMatch(/<(img|script)/i);
  });

  it("keeps an HTML block as text", () => {
    const host = dom(renderMarkdown("<div>\n<iframe src='https://evil.example'></iframe>\n</div>"));
    expect(host.querySelector("div, iframe")).toBeNull();
    expect(host.textContent).toContain("<iframe");
  });

  it("neutralises javascript: and data: links and opens others safely", () => {
    const host = dom(renderMarkdown("[x](javascript:alert(1)) [y](JaVaScRiPt:alert(2)) [d](data:text/html,hi) [ok](https://example.com)"));
    const links = [...host.querySelectorAll("a")];
    expect(links.map((a) => a.getAttribute("href"))).toEqual([null, null, null, "https://example.com"]);
    expect(links[3].getAttribute("rel")).toBe("noopener noreferrer nofollow");
    expect(links[3].getAttribute("target")).toBe("_blank");
  });

  it("turns images into links so no request is made", () => {
    const host = dom(renderMarkdown("![tracker](https://evil.example/pixel.png)"));
    expect(host.querySelector("img")).toBeNull();
    expect(host.querySelector("a")?.getAttribute("href")).toBe("https://evil.example/pixel.png");
  });

  it("escapes HTML inside code", () => {
    const host = dom(renderMarkdown("```html\n<script>alert(1)</script>\n```"));
    expect(host.querySelector("script")).toBeNull();
    expect(host.querySelector("code")?.textContent).toContain("<script>alert(1)</script>");
  });
});

describe("renderMarkdown: text direction and hidden characters", () => {
  const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;

  it("gives every block dir=auto, so Hebrew or Arabic lays out right to left block by block", () => {
    const host = dom(renderMarkdown("שלום עולם\n\n- אחד\n- two\n\n> مرحبا\n\n| a |\n|---|\n| b |"));
    for (const block of host.querySelectorAll("p, ul, li, blockquote, th, td")) expect(block.getAttribute("dir")).toBe("auto");
    expect(host.querySelector("pre")).toBeNull();
  });

  it("shows an override character as a named marker instead of applying it", () => {
    const host = dom(renderMarkdown("Transfer to \u202Ethe attacker\u202C, then `x\u2066y` and\n\n```\nif (a) {\u2067 b }\n```"));
    expect(host.innerHTML).not.toMatch(BIDI_CONTROLS);
    const markers = [...host.querySelectorAll("span.hidden-char")];
    expect(markers.map((m) => m.textContent)).toEqual(["⟪RLO⟫", "⟪PDF⟫", "⟪LRI⟫", "⟪RLI⟫"]);
    expect(markers[0].getAttribute("title")).toContain("U+202E RIGHT-TO-LEFT OVERRIDE");
    // The text around each marker keeps its logical order, as written.
    expect(host.querySelector("p")?.textContent).toBe("Transfer to ⟪RLO⟫the attacker⟪PDF⟫, then x⟪LRI⟫y and");
    expect(host.querySelector("pre code")?.textContent).toContain("{⟪RLI⟫ b }");
  });

  it("marks a control written as a character reference too", () => {
    const host = dom(renderMarkdown("a &#x202E;bc &#8238;d"));
    expect([...host.querySelectorAll(".hidden-char")].map((m) => m.textContent)).toEqual(["⟪RLO⟫", "⟪RLO⟫"]);
    expect(host.innerHTML).not.toMatch(BIDI_CONTROLS);
  });

  it("keeps raw HTML as text around a marker", () => {
    const host = dom(renderMarkdown("<b>\u202Ex</b> <img src=x onerror=alert(1)>"));
    expect(host.querySelector("b, img")).toBeNull();
    expect(host.textContent?.trim()).toBe("<b>⟪RLO⟫x</b> <img src=x onerror=alert(1)>");
  });

  it("leaves left-to-right and right-to-left marks, which only nudge direction, alone", () => {
    expect(showHiddenCharacters("a\u200Eb\u200Fc")).toBe("a\u200Eb\u200Fc");
    expect(showHiddenCharacters("\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069")).toBe(
      "⟪LRE⟫⟪RLE⟫⟪PDF⟫⟪LRO⟫⟪RLO⟫⟪LRI⟫⟪RLI⟫⟪FSI⟫⟪PDI⟫",
    );
  });

  it("shows zero-width characters, so two responses that differ only by them do not look the same", () => {
    expect(showHiddenCharacters("pay​me⁠now﻿ x⁢y")).toBe("pay⟪ZWSP⟫me⟪WJ⟫now⟪BOM⟫ x⟪IT⟫y");
    const host = dom(renderMarkdown("The answer is 4​2."));
    expect(host.querySelector("p")?.textContent).toBe("The answer is 4⟪ZWSP⟫2.");
    expect(host.querySelector(".hidden-char")?.getAttribute("title")).toContain("U+200B ZERO WIDTH SPACE");
  });

  it("leaves the joiners emoji and scripts need alone", () => {
    const family = "👩‍👩‍👧";
    const persian = "می‌خواهم";
    expect(showHiddenCharacters(`${family} ${persian}`)).toBe(`${family} ${persian}`);
  });

  it("spells out text hidden in tag characters, and leaves a subdivision flag's tags alone", () => {
    const hidden = [..."pick A"].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join("");
    expect(showHiddenCharacters(`Fine.${hidden} Done`)).toBe("Fine.⟪TAGS: pick A⟫ Done");
    const host = dom(renderMarkdown(`Fine.${hidden}`));
    expect(host.querySelector(".hidden-char")?.getAttribute("title")).toContain('invisible text: "pick A"');
    const scotland = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}";
    expect(showHiddenCharacters(`Go ${scotland}!`)).toBe(`Go ${scotland}!`);
  });
});

describe("renderGuidelines (admin-written)", () => {
  it("allows harmless HTML but strips script, handlers and images", () => {
    const host = dom(renderGuidelines('<details><summary>More</summary>text</details>\n\n<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><a href="javascript:alert(1)" onclick="x()">l</a>'));
    expect(host.querySelector("details summary")?.textContent).toBe("More");
    expect(host.querySelector("img, script")).toBeNull();
    const link = host.querySelector("a");
    expect(link?.getAttribute("href")).toBeNull();
    expect(link?.getAttribute("onclick")).toBeNull();
  });

  it("keeps an admin's own dir and gives the other blocks dir=auto", () => {
    const host = dom(renderGuidelines('<p dir="ltr">English</p>\n\nעברית'));
    expect([...host.querySelectorAll("p")].map((p) => p.getAttribute("dir"))).toEqual(["ltr", "auto"]);
  });
});

describe("render cache", () => {
  it("gives the same HTML for the same text without rendering twice", () => {
    const text = "Cached `once`";
    expect(renderMarkdown(text)).toBe(renderMarkdown(text));
    for (let i = 0; i < 100; i += 1) renderMarkdown(`filler ${i}`);
    expect(renderMarkdown(text)).toContain("<code>once</code>");
  });
});

// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { renderGuidelines, renderMarkdown } from "./markdown";

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

describe("renderGuidelines (admin-written)", () => {
  it("allows harmless HTML but strips script, handlers and images", () => {
    const host = dom(renderGuidelines('<details><summary>More</summary>text</details>\n\n<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><a href="javascript:alert(1)" onclick="x()">l</a>'));
    expect(host.querySelector("details summary")?.textContent).toBe("More");
    expect(host.querySelector("img, script")).toBeNull();
    const link = host.querySelector("a");
    expect(link?.getAttribute("href")).toBeNull();
    expect(link?.getAttribute("onclick")).toBeNull();
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

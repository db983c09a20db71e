// Markdown to safe HTML, for model output, prompts and guidelines.
//
// Model output is untrusted: it can hold HTML, script and javascript: links. Three layers:
//  1. raw HTML in the Markdown is not rendered but shown as text (the annotator sees exactly
//     what the model wrote, `<script>` included, inert) — only guidelines, written by admins,
//     may use (sanitized) HTML;
//  2. images are shown as links (no requests to hosts a model named);
//  3. DOMPurify cleans the final HTML anyway: no event handlers, no script, style, forms or
//     frames, and links keep only http(s)/mailto/# targets and open in a new tab without opener.
// This module is the only producer of HTML that the UI injects.

import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import markdown from "highlight.js/lib/languages/markdown";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import { Marked, type Tokens } from "marked";

const LANGUAGES = { bash, cpp, css, go, java, javascript, json, markdown, python, rust, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
hljs.registerAliases(["sh", "shell", "zsh"], { languageName: "bash" });
hljs.registerAliases(["c", "c++", "h", "hpp"], { languageName: "cpp" });
hljs.registerAliases(["js", "jsx", "mjs"], { languageName: "javascript" });
hljs.registerAliases(["ts", "tsx"], { languageName: "typescript" });
hljs.registerAliases(["py", "python3"], { languageName: "python" });
hljs.registerAliases(["html", "svg"], { languageName: "xml" });
hljs.registerAliases(["yml"], { languageName: "yaml" });
hljs.registerAliases(["md"], { languageName: "markdown" });

const SAFE_URL = /^(?:https?:|mailto:|#)/i;

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function highlight(code: string, lang: string | undefined): string {
  const name = (lang ?? "").trim().split(/\s+/)[0].toLowerCase();
  if (name && hljs.getLanguage(name)) return hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
  if (code.length <= 20_000) return hljs.highlightAuto(code).value;
  return escapeHtml(code);
}

function makeParser(allowHtml: boolean): Marked {
  return new Marked({
    gfm: true,
    breaks: false,
    async: false,
    renderer: {
      code({ text, lang }: Tokens.Code): string {
        const label = lang ? `<span class="code-lang">${escapeHtml(lang.split(/\s+/)[0])}</span>` : "";
        return `<pre class="code-block">${label}<code class="hljs">${highlight(text, lang)}</code></pre>\n`;
      },
      html({ text }: Tokens.HTML | Tokens.Tag): string | false {
        return allowHtml ? false : escapeHtml(text);
      },
      image({ href, text }: Tokens.Image): string {
        const label = escapeHtml(text || href);
        return `<a href="${escapeHtml(href)}" class="md-image-link">[image: ${label}]</a>`;
      },
    },
  });
}

const modelParser = makeParser(false);
const guidelinesParser = makeParser(true);

let purifier: ReturnType<typeof DOMPurify> | null = null;

function getPurifier(): ReturnType<typeof DOMPurify> {
  if (purifier) return purifier;
  purifier = DOMPurify(window);
  purifier.addHook("afterSanitizeAttributes", (node) => {
    if (node.nodeName !== "A") return;
    const href = node.getAttribute("href") ?? "";
    if (!SAFE_URL.test(href.trim())) {
      node.removeAttribute("href");
      node.setAttribute("title", href ? `Link removed: ${href.slice(0, 200)}` : "");
      node.classList.add("md-dead-link");
    } else if (!href.startsWith("#")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    }
  });
  return purifier;
}

const PURIFY_CONFIG = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ["style", "img", "form", "input", "button", "textarea", "select", "iframe", "object", "embed", "video", "audio", "source", "picture", "link", "meta", "base"],
  FORBID_ATTR: ["style", "id", "name", "srcset", "formaction", "action"],
  ALLOW_DATA_ATTR: false,
};

export function sanitizeHtml(html: string): string {
  return getPurifier().sanitize(html, PURIFY_CONFIG) as string;
}

// Rendered model output by source text: the next comparison is rendered while the annotator reads
// the current one (warmMarkdown), so showing it costs no parsing or highlighting.
const CACHE_LIMIT = 64;
const cache = new Map<string, string>();

/** Model output, prompts: Markdown rendered, raw HTML shown as text. */
export function renderMarkdown(text: string): string {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const html = sanitizeHtml(modelParser.parse(text) as string);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(text, html);
  return html;
}

/** Render these texts ahead, when the browser is idle. */
export function warmMarkdown(texts: string[]): void {
  const idle = window.requestIdleCallback ?? ((fn: () => void) => window.setTimeout(fn, 50));
  idle(() => texts.forEach(renderMarkdown));
}

/** Guidelines, written by project admins: Markdown plus sanitized HTML. */
export function renderGuidelines(text: string): string {
  return sanitizeHtml(guidelinesParser.parse(text) as string);
}

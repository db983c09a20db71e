// Markdown to safe HTML, for model output, prompts and guidelines.
//
// Model output is untrusted: it can hold HTML, script and javascript: links. Three layers:
//  1. raw HTML in the Markdown is not rendered but shown as text (the annotator sees exactly
//     what the model wrote, `<script>` included, inert) — only guidelines, written by admins,
//     may use (sanitized) HTML;
//  2. images are shown as links (no requests to hosts a model named);
//  3. DOMPurify cleans the final HTML anyway: no event handlers, no script, style, forms or
//     frames, and links keep only http(s)/mailto/# targets and open in a new tab without opener.
// Text direction: every block gets dir="auto" (Hebrew or Arabic lays out right to left, each block
// on its own), and in model output the invisible characters are shown as markers such as ⟪RLO⟫
// instead of being applied: the bidi controls that reorder text (U+202A–U+202E, U+2066–U+2069, the
// "Trojan Source" characters), zero-width spaces and joiners, and Unicode tag characters (text no
// font draws), so a response cannot read on screen otherwise than it is written. Display only:
// the stored text is untouched.
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

/** Characters that change what text looks like without being seen, shown as markers. The explicit
 * bidi controls reorder text; zero-width characters make two responses that look the same differ
 * (and a "same" verdict wrong). ZWJ and ZWNJ stay invisible: emoji, Persian and Indic scripts need
 * them. By the short names editors show. */
const HIDDEN_CHARACTER_NAMES: Record<string, [string, string]> = {
  "\u202A": ["LRE", "LEFT-TO-RIGHT EMBEDDING"],
  "\u202B": ["RLE", "RIGHT-TO-LEFT EMBEDDING"],
  "\u202C": ["PDF", "POP DIRECTIONAL FORMATTING"],
  "\u202D": ["LRO", "LEFT-TO-RIGHT OVERRIDE"],
  "\u202E": ["RLO", "RIGHT-TO-LEFT OVERRIDE"],
  "\u2066": ["LRI", "LEFT-TO-RIGHT ISOLATE"],
  "\u2067": ["RLI", "RIGHT-TO-LEFT ISOLATE"],
  "\u2068": ["FSI", "FIRST STRONG ISOLATE"],
  "\u2069": ["PDI", "POP DIRECTIONAL ISOLATE"],
  "\u200B": ["ZWSP", "ZERO WIDTH SPACE"],
  "\u2060": ["WJ", "WORD JOINER"],
  "\u2061": ["FA", "FUNCTION APPLICATION"],
  "\u2062": ["IT", "INVISIBLE TIMES"],
  "\u2063": ["IS", "INVISIBLE SEPARATOR"],
  "\u2064": ["IP", "INVISIBLE PLUS"],
  "\uFEFF": ["BOM", "ZERO WIDTH NO-BREAK SPACE (BYTE ORDER MARK)"],
};
/** One hidden character, or a run of Unicode tag characters (U+E0000–U+E007F: ASCII no font draws,
 * which models read, hence a way to hide instructions in text) outside an emoji's subdivision flag
 * (🏴 and tags, such as Scotland's), where they belong. */
const HIDDEN = "[\u202A-\u202E\u2066-\u2069\u200B\u2060-\u2064\uFEFF]|(?<!\u{1F3F4}[\u{E0020}-\u{E007E}]*)[\u{E0000}-\u{E007F}]+";
const HIDDEN_CHARACTER = new RegExp(HIDDEN, "u");
const HIDDEN_CHARACTERS = new RegExp(HIDDEN, "gu");
/** Splits text around each hidden character (or tag run), keeping them (at the odd indices). */
const AROUND_HIDDEN_CHARACTERS = new RegExp(`(${HIDDEN})`, "u");

/** The marker's short text and full name: the text a tag run hides is spelled out. */
function hiddenCharacterName(found: string): [string, string] {
  const named = HIDDEN_CHARACTER_NAMES[found];
  if (named) return named;
  const spelled = [...found].map((char) => char.codePointAt(0)! - 0xe0000).filter((code) => code >= 0x20 && code < 0x7f);
  const text = String.fromCharCode(...spelled);
  return [`TAGS: ${text}`, `TAG CHARACTERS (invisible text: "${text}")`];
}

/** `text` with each hidden character replaced by its visible marker (⟪RLO⟫): for plain-text places. */
export function showHiddenCharacters(text: string): string {
  return text.replace(HIDDEN_CHARACTERS, (found) => `⟪${hiddenCharacterName(found)[0]}⟫`);
}

/** Blocks that scroll sideways when wider than their box (markdown.css): each takes keyboard focus,
 * so that the arrow keys scroll it for someone without a mouse (WCAG 2.1.1). */
const SCROLLING_BLOCKS = new Set(["PRE", "TABLE"]);

/** The blocks that get dir="auto": each finds its own direction from its first strong letter. */
const DIRECTED_BLOCKS = new Set(["P", "LI", "UL", "OL", "BLOCKQUOTE", "H1", "H2", "H3", "H4", "H5", "H6", "TD", "TH", "DT", "DD", "DETAILS", "SUMMARY"]);

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
    // An admin's own dir in guidelines stays; everything else finds its direction per block.
    if (DIRECTED_BLOCKS.has(node.nodeName) && !node.hasAttribute("dir")) node.setAttribute("dir", "auto");
    if (SCROLLING_BLOCKS.has(node.nodeName)) node.setAttribute("tabindex", "0");
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

/** Each hidden character in the HTML's text replaced by a marker element: the character itself is
 * left out of the page, so nothing after it is reordered, and the marker's title names it. Runs
 * before the sanitizer (a template parses without running or loading anything), which then has
 * the last word on the HTML. */
function markHiddenCharacters(html: string): string {
  if (!HIDDEN_CHARACTER.test(html)) return html;
  const template = document.createElement("template");
  template.innerHTML = html;
  const walker = document.createTreeWalker(template.content, NodeFilter.SHOW_TEXT);
  const texts: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) texts.push(node as Text);
  for (const node of texts) {
    const parts = node.data.split(AROUND_HIDDEN_CHARACTERS);
    if (parts.length === 1) continue;
    const fragment = document.createDocumentFragment();
    parts.forEach((part, i) => {
      if (i % 2 === 0) {
        if (part) fragment.append(part);
        return;
      }
      const [short, name] = hiddenCharacterName(part);
      const code = part.codePointAt(0)!.toString(16).toUpperCase();
      const marker = document.createElement("span");
      marker.className = "hidden-char";
      marker.title = `Hidden character U+${code} ${name}, shown rather than applied: it can make text read otherwise than it is written`;
      marker.textContent = `⟪${short}⟫`;
      fragment.append(marker);
    });
    node.replaceWith(fragment);
  }
  return template.innerHTML;
}

// Rendered model output by source text: the next comparison is rendered while the annotator reads
// the current one (warmMarkdown), so showing it costs no parsing or highlighting.
const CACHE_LIMIT = 64;
const cache = new Map<string, string>();

/** Model output, prompts: Markdown rendered, raw HTML shown as text. */
export function renderMarkdown(text: string): string {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const html = sanitizeHtml(markHiddenCharacters(modelParser.parse(text) as string));
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

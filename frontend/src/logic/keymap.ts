// The annotation screen's keyboard map, as a pure function from a key press to an action.
// The same table feeds the help overlay and the hints on buttons, so they cannot drift apart.

import type { ComparisonKind, Letter, PairwiseWinner, Project } from "../types";
import type { Draft } from "./draft";

export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

export interface KeyContext {
  comparisonKind: ComparisonKind;
  letters: Letter[];
  scaleSize: number;
  allowTies: boolean;
  criterionCount: number;
  canDemonstrate: boolean;
  /** Focus is in a text box: only Escape and Ctrl/Cmd+Enter are ours. */
  inTextField: boolean;
  /** Focus is on a button, link or other control the keyboard moved to: Enter and Space press it,
   * as they do everywhere else on the web (Ctrl/Cmd+Enter still submits). Absent: not on one. */
  onControl?: boolean;
  /** Ranking: a response is selected, so arrows move it (otherwise they scroll). */
  rankSelected: boolean;
}

export type KeyAction =
  | { type: "choose"; target: PairwiseWinner }
  | { type: "strength"; value: number }
  | { type: "rankSelect"; letter: Letter }
  | { type: "rankSelectAt"; index: number }
  | { type: "rankMove"; delta: number }
  | { type: "rankDeselect" }
  | { type: "rankTie" }
  | { type: "criterionStep"; delta: number }
  | { type: "followOverall" }
  | { type: "submit" }
  | { type: "skip" }
  | { type: "flag" }
  | { type: "undo" }
  | { type: "help" }
  | { type: "guidelines" }
  | { type: "toggleContext" }
  | { type: "history" }
  | { type: "focusRationale" }
  | { type: "focusDemonstration" }
  | { type: "blur" };

/** The keys' context for `draft` in `project` (outside any text box). */
export function keyContextFor(project: Project, draft: Draft): KeyContext {
  return {
    comparisonKind: project.task_type,
    letters: draft.config.letters,
    scaleSize: draft.config.scaleSize,
    allowTies: project.allow_ties,
    criterionCount: draft.criteria.length,
    canDemonstrate: project.collect_demonstrations,
    inTextField: false,
    onControl: false,
    rankSelected: draft.selected !== null,
  };
}

/** On "All done" (no comparison on screen) the one key that still acts: U or Ctrl/⌘+Z takes the
 * last judgment or skip back, as the screen's Undo button does. */
export function allDoneAction(input: KeyInput, inTextField: boolean): KeyAction | null {
  if (inTextField || input.altKey || input.shiftKey) return null;
  const key = input.key.toLowerCase();
  return (input.ctrlKey || input.metaKey ? key === "z" : key === "u") ? { type: "undo" } : null;
}

export function actionForKey(input: KeyInput, ctx: KeyContext): KeyAction | null {
  const command = input.ctrlKey || input.metaKey;
  if (input.key === "Escape") return ctx.inTextField ? { type: "blur" } : ctx.rankSelected ? { type: "rankDeselect" } : null;
  if (ctx.inTextField) return command && input.key === "Enter" ? { type: "submit" } : null;
  if (input.altKey) return null;
  if (command) {
    if (input.key === "Enter") return { type: "submit" };
    return input.key.toLowerCase() === "z" && !input.shiftKey ? { type: "undo" } : null;
  }
  if (ctx.onControl && (input.key === "Enter" || input.key === " ")) return null;

  const key = input.key.length === 1 ? input.key.toLowerCase() : input.key;
  // Ranking: Shift + a response's letter selects it, even one whose letter alone is a screen key.
  if (ctx.comparisonKind === "ranking" && input.shiftKey && ctx.letters.includes(key)) return { type: "rankSelect", letter: key };
  const global = globalAction(key, ctx);
  if (global) return global;
  return ctx.comparisonKind === "pairwise" ? pairwiseAction(key, ctx) : rankingAction(key, ctx);
}

/** Ranking: which response letters select with the key alone (`plain`) and which only with Shift
 * (`shifted`): from K = 6 on, letters reach the screen's own keys (F flags, G guidelines, H history,
 * then S, U, R, W, X, J, K), and those keep their meaning: F is Flag in every project, whatever its K.
 * Selecting by rank (1–9) and Tab to a chip reach these responses too. */
export function rankingLetterKeys(ctx: Pick<KeyContext, "letters" | "criterionCount" | "canDemonstrate">): { plain: Letter[]; shifted: Letter[] } {
  const taken = (letter: Letter) => globalAction(letter, ctx) !== null;
  return { plain: ctx.letters.filter((letter) => !taken(letter)), shifted: ctx.letters.filter(taken) };
}

/** Consecutive runs of `letters`, for hints: a b c e → [[a, c], [e]] (first and last of each run). */
export function letterRuns(letters: readonly Letter[]): [Letter, Letter][] {
  const runs: [Letter, Letter][] = [];
  for (const letter of letters) {
    const last = runs.at(-1);
    if (last && letter.charCodeAt(0) === last[1].charCodeAt(0) + 1) last[1] = letter;
    else runs.push([letter, letter]);
  }
  return runs;
}

function globalAction(key: string, ctx: Pick<KeyContext, "criterionCount" | "canDemonstrate">): KeyAction | null {
  switch (key) {
    case "Enter": return { type: "submit" };
    case "s": return { type: "skip" };
    case "f": return { type: "flag" };
    case "u": return { type: "undo" };
    case "?": return { type: "help" };
    case "g": return { type: "guidelines" };
    case "x": return { type: "toggleContext" };
    case "h": return { type: "history" };
    case "r": return { type: "focusRationale" };
    case "w": return ctx.canDemonstrate ? { type: "focusDemonstration" } : null;
    case "j": return ctx.criterionCount > 1 ? { type: "criterionStep", delta: 1 } : null;
    case "k": return ctx.criterionCount > 1 ? { type: "criterionStep", delta: -1 } : null;
    default: return null;
  }
}

function pairwiseAction(key: string, ctx: KeyContext): KeyAction | null {
  if (key === "t") return ctx.allowTies ? { type: "choose", target: "tie" } : null;
  if (key === "=") return ctx.criterionCount > 1 ? { type: "followOverall" } : null;
  if (key === "a" || key === "b") return { type: "choose", target: key };
  const digit = Number(key);
  if (Number.isInteger(digit) && digit >= 1 && digit <= ctx.scaleSize) return { type: "strength", value: digit };
  return null;
}

function rankingAction(key: string, ctx: KeyContext): KeyAction | null {
  if (ctx.letters.includes(key)) return { type: "rankSelect", letter: key }; // global letters never get here
  const digit = Number(key);
  if (Number.isInteger(digit) && digit >= 1 && digit <= ctx.letters.length) {
    return { type: "rankSelectAt", index: digit - 1 };
  }
  if (!ctx.rankSelected) return null;
  if (key === "=") return ctx.allowTies ? { type: "rankTie" } : null;
  if (key === "ArrowUp" || key === "ArrowLeft") return { type: "rankMove", delta: -1 };
  if (key === "ArrowDown" || key === "ArrowRight") return { type: "rankMove", delta: 1 };
  if (key === "Home") return { type: "rankMove", delta: -ctx.letters.length };
  if (key === "End") return { type: "rankMove", delta: ctx.letters.length };
  return null;
}

export interface KeyHint {
  keys: string[];
  label: string;
}

/** What the help overlay lists, for this project's comparison kind. */
export function keyHints(ctx: Pick<KeyContext, "comparisonKind" | "letters" | "scaleSize" | "allowTies" | "criterionCount" | "canDemonstrate">): KeyHint[] {
  const { plain, shifted } = rankingLetterKeys(ctx);
  const upper = (letters: Letter[]) => letters.map((letter) => letter.toUpperCase());
  const hints: KeyHint[] =
    ctx.comparisonKind === "pairwise"
      ? [
          { keys: ["A", "B"], label: "Choose the better response" },
          ...(ctx.allowTies ? [{ keys: ["T"], label: "Tie" }] : []),
          ...(ctx.scaleSize ? [{ keys: range(ctx.scaleSize), label: "How much better (weakest first)" }] : []),
        ]
      : [
          { keys: upper(plain), label: "Select a response by letter" },
          ...(shifted.length
            ? [{ keys: upper(shifted).map((letter) => `⇧${letter}`), label: `Select response ${orList(upper(shifted))} with Shift (the letter alone is a key below)` }]
            : []),
          { keys: range(Math.min(ctx.letters.length, 9)), label: `Select the response at that rank${ctx.letters.length > 9 ? " (up to 9th)" : ""}` },
          { keys: ["↑", "↓"], label: "Move the selected response up / down (← → too)" },
          { keys: ["Home", "End"], label: "Move it to the top / bottom" },
          ...(ctx.allowTies ? [{ keys: ["="], label: "Rank the selected response equal to the one above it (again: undo the tie)" }] : []),
        ];
  if (ctx.criterionCount > 1) hints.push({ keys: ["J", "K"], label: "Next / previous criterion" });
  if (ctx.criterionCount > 1 && ctx.comparisonKind === "pairwise") {
    hints.push({ keys: ["="], label: "Every criterion as overall (criteria follow it until changed)" });
  }
  hints.push(
    { keys: ["Enter"], label: "Submit (Ctrl+Enter from a text box, or from a button reached with Tab, where Enter presses the button)" },
    { keys: ["S"], label: "Skip this comparison" },
    { keys: ["F"], label: "Flag: unsafe, all bad, broken prompt…" },
    { keys: ["U"], label: "Undo the last submit, skip or flag while it is editable (Ctrl+Z too)" },
    { keys: ["H"], label: "Recently handled comparisons: reopen one while it is editable" },
    { keys: ["R"], label: "Write a rationale" },
  );
  if (ctx.canDemonstrate) hints.push({ keys: ["W"], label: "Write the ideal response" });
  hints.push(
    { keys: ["G"], label: "Show / hide the guidelines" },
    { keys: ["X"], label: "Show / fold the earlier turns of a long conversation" },
    { keys: ["?"], label: "This help" },
    { keys: ["Esc"], label: "Leave a text box, close a menu" },
  );
  return hints;
}

/** "F", "F or G", "F, G or H". */
function orList(items: string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

function range(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i + 1));
}

export type FlagMenuAction =
  | { type: "reason"; index: number }
  | { type: "confirm"; keepJudging: boolean }
  | { type: "close" };

/** Keys inside the flag menu: 1–4 choose a reason, Enter flags and skips, Shift+Enter flags only. */
export function flagMenuAction(input: KeyInput, reasonCount: number, inTextField: boolean): FlagMenuAction | null {
  if (input.key === "Escape") return { type: "close" };
  if (input.key === "Enter") return { type: "confirm", keepJudging: input.shiftKey };
  if (inTextField || input.ctrlKey || input.metaKey || input.altKey) return null;
  const digit = Number(input.key);
  if (Number.isInteger(digit) && digit >= 1 && digit <= reasonCount) return { type: "reason", index: digit - 1 };
  return null;
}

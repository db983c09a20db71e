import { describe, expect, it } from "vitest";
import { actionForKey, allDoneAction, flagMenuAction, keyHints, letterRuns, rankingLetterKeys, type KeyContext, type KeyInput } from "./keymap";

const pairwise: KeyContext = {
  comparisonKind: "pairwise", letters: ["a", "b"], scaleSize: 3, allowTies: true, criterionCount: 1,
  canDemonstrate: false, inTextField: false, onControl: false, rankSelected: false,
};
const ranking: KeyContext = { ...pairwise, comparisonKind: "ranking", letters: ["a", "b", "c", "d"] };

function press(key: string, mods: Partial<KeyInput> = {}): KeyInput {
  return { key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods };
}

describe("pairwise keys", () => {
  it("chooses with A/B (either case) and ties with T", () => {
    expect(actionForKey(press("a"), pairwise)).toEqual({ type: "choose", target: "a" });
    expect(actionForKey(press("B", { shiftKey: true }), pairwise)).toEqual({ type: "choose", target: "b" });
    expect(actionForKey(press("t"), pairwise)).toEqual({ type: "choose", target: "tie" });
  });

  it("has no tie key where ties are not allowed", () => {
    expect(actionForKey(press("t"), { ...pairwise, allowTies: false })).toBeNull();
  });

  it("sets the strength with digits inside the scale only", () => {
    expect(actionForKey(press("1"), pairwise)).toEqual({ type: "strength", value: 1 });
    expect(actionForKey(press("3"), pairwise)).toEqual({ type: "strength", value: 3 });
    expect(actionForKey(press("4"), pairwise)).toBeNull();
    expect(actionForKey(press("0"), pairwise)).toBeNull();
    expect(actionForKey(press("1"), { ...pairwise, scaleSize: 0 })).toBeNull();
  });
});

describe("global keys", () => {
  it("maps every action", () => {
    expect(actionForKey(press("Enter"), pairwise)).toEqual({ type: "submit" });
    expect(actionForKey(press("s"), pairwise)).toEqual({ type: "skip" });
    expect(actionForKey(press("f"), pairwise)).toEqual({ type: "flag" });
    expect(actionForKey(press("u"), pairwise)).toEqual({ type: "undo" });
    expect(actionForKey(press("z", { ctrlKey: true }), pairwise)).toEqual({ type: "undo" });
    expect(actionForKey(press("z", { metaKey: true }), pairwise)).toEqual({ type: "undo" });
    expect(actionForKey(press("?", { shiftKey: true }), pairwise)).toEqual({ type: "help" });
    expect(actionForKey(press("g"), pairwise)).toEqual({ type: "guidelines" });
    expect(actionForKey(press("x"), ranking)).toEqual({ type: "toggleContext" });
    expect(actionForKey(press("h"), pairwise)).toEqual({ type: "history" });
    expect(actionForKey(press("r"), pairwise)).toEqual({ type: "focusRationale" });
  });

  it("offers W only where the project collects demonstrations", () => {
    expect(actionForKey(press("w"), pairwise)).toBeNull();
    expect(actionForKey(press("w"), { ...pairwise, canDemonstrate: true })).toEqual({ type: "focusDemonstration" });
  });

  it("steps between criteria with J/K only when there are criteria", () => {
    expect(actionForKey(press("j"), pairwise)).toBeNull();
    const withCriteria = { ...pairwise, criterionCount: 3 };
    expect(actionForKey(press("j"), withCriteria)).toEqual({ type: "criterionStep", delta: 1 });
    expect(actionForKey(press("k"), withCriteria)).toEqual({ type: "criterionStep", delta: -1 });
  });

  it("puts every criterion back on the overall verdict with = only when there are criteria", () => {
    expect(actionForKey(press("="), pairwise)).toBeNull();
    expect(actionForKey(press("="), { ...pairwise, criterionCount: 3 })).toEqual({ type: "followOverall" });
    expect(actionForKey(press("="), { ...ranking, criterionCount: 3 })).toBeNull();
  });

  it("leaves browser shortcuts and Alt combinations alone", () => {
    expect(actionForKey(press("r", { ctrlKey: true }), pairwise)).toBeNull();
    expect(actionForKey(press("a", { altKey: true }), pairwise)).toBeNull();
    expect(actionForKey(press("z", { ctrlKey: true, shiftKey: true }), pairwise)).toBeNull();
  });
});

describe("in a text box", () => {
  const typing = { ...pairwise, inTextField: true };
  it("lets letters, digits and Enter type", () => {
    for (const key of ["a", "b", "t", "1", "s", "f", "u", "Enter", "?"]) {
      expect(actionForKey(press(key), typing)).toBeNull();
    }
  });

  it("submits with Ctrl/Cmd+Enter and leaves with Escape", () => {
    expect(actionForKey(press("Enter", { ctrlKey: true }), typing)).toEqual({ type: "submit" });
    expect(actionForKey(press("Enter", { metaKey: true }), typing)).toEqual({ type: "submit" });
    expect(actionForKey(press("Escape"), typing)).toEqual({ type: "blur" });
  });
});

describe("on a button or link the keyboard moved to", () => {
  const onButton = { ...pairwise, onControl: true };
  it("leaves Enter and Space to the control, so that Tab + Enter presses Skip rather than submitting", () => {
    expect(actionForKey(press("Enter"), onButton)).toBeNull();
    expect(actionForKey(press(" "), onButton)).toBeNull();
    expect(actionForKey(press("Enter"), { ...ranking, onControl: true, rankSelected: true })).toBeNull();
  });

  it("still submits with Ctrl/Cmd+Enter, and keeps the other keys", () => {
    expect(actionForKey(press("Enter", { ctrlKey: true }), onButton)).toEqual({ type: "submit" });
    expect(actionForKey(press("Enter", { metaKey: true }), onButton)).toEqual({ type: "submit" });
    expect(actionForKey(press("a"), onButton)).toEqual({ type: "choose", target: "a" });
    expect(actionForKey(press("2"), onButton)).toEqual({ type: "strength", value: 2 });
    expect(actionForKey(press("s"), onButton)).toEqual({ type: "skip" });
  });
});

describe("ranking keys", () => {
  it("selects by letter and by rank", () => {
    expect(actionForKey(press("c"), ranking)).toEqual({ type: "rankSelect", letter: "c" });
    expect(actionForKey(press("4"), ranking)).toEqual({ type: "rankSelectAt", index: 3 });
    expect(actionForKey(press("5"), ranking)).toBeNull();
  });

  it("moves the selection with arrows, Home and End, only once something is selected", () => {
    expect(actionForKey(press("ArrowUp"), ranking)).toBeNull();
    const selected = { ...ranking, rankSelected: true };
    expect(actionForKey(press("ArrowUp"), selected)).toEqual({ type: "rankMove", delta: -1 });
    expect(actionForKey(press("ArrowLeft"), selected)).toEqual({ type: "rankMove", delta: -1 });
    expect(actionForKey(press("ArrowDown"), selected)).toEqual({ type: "rankMove", delta: 1 });
    expect(actionForKey(press("Home"), selected)).toEqual({ type: "rankMove", delta: -4 });
    expect(actionForKey(press("End"), selected)).toEqual({ type: "rankMove", delta: 4 });
    expect(actionForKey(press("Escape"), selected)).toEqual({ type: "rankDeselect" });
  });

  it("has no tie or strength", () => {
    expect(actionForKey(press("t"), ranking)).toBeNull();
  });

  it("never lets a response letter shadow a screen key; Shift + letter selects any response", () => {
    const eight = { ...ranking, letters: [..."abcdefgh"] };
    expect(actionForKey(press("e"), eight)).toEqual({ type: "rankSelect", letter: "e" });
    expect(actionForKey(press("f"), eight)).toEqual({ type: "flag" });
    expect(actionForKey(press("g"), eight)).toEqual({ type: "guidelines" });
    expect(actionForKey(press("h"), eight)).toEqual({ type: "history" });
    expect(actionForKey(press("F", { shiftKey: true }), eight)).toEqual({ type: "rankSelect", letter: "f" });
    expect(actionForKey(press("H", { shiftKey: true }), eight)).toEqual({ type: "rankSelect", letter: "h" });
    expect(actionForKey(press("C", { shiftKey: true }), eight)).toEqual({ type: "rankSelect", letter: "c" });
    // A Shift + letter that is no response here keeps its screen meaning.
    expect(actionForKey(press("S", { shiftKey: true }), eight)).toEqual({ type: "skip" });
    expect(actionForKey(press("8"), eight)).toEqual({ type: "rankSelectAt", index: 7 });
  });

  it("splits the letters into those a key alone selects and those that need Shift", () => {
    const all = [..."abcdefghijklmnopqrstuvwxyz"];
    expect(rankingLetterKeys({ letters: [..."abcde"], criterionCount: 1, canDemonstrate: false })).toEqual({ plain: [..."abcde"], shifted: [] });
    expect(rankingLetterKeys({ letters: all, criterionCount: 1, canDemonstrate: false })).toEqual({
      plain: [..."abcdeijklmnopqtvwyz"], shifted: [..."fghrsux"],
    });
    // J, K and W are screen keys only where the project has criteria / demonstrations.
    expect(rankingLetterKeys({ letters: all, criterionCount: 2, canDemonstrate: true }).shifted).toEqual([..."fghjkrsuwx"]);
    for (const letter of rankingLetterKeys({ letters: all, criterionCount: 2, canDemonstrate: true }).plain) {
      expect(actionForKey(press(letter), { ...ranking, letters: all, criterionCount: 2, canDemonstrate: true })).toEqual({ type: "rankSelect", letter });
    }
  });

  it("groups letters into runs for the hints", () => {
    expect(letterRuns([..."abcdeijklmnopqtvwyz"])).toEqual([["a", "e"], ["i", "q"], ["t", "t"], ["v", "w"], ["y", "z"]]);
    expect(letterRuns([])).toEqual([]);
  });
});

describe("keyHints", () => {
  it("lists a hint for every pairwise action", () => {
    const labels = keyHints({ ...pairwise, criterionCount: 2, canDemonstrate: true }).map((hint) => hint.keys.join(" "));
    expect(labels).toEqual(expect.arrayContaining(["A B", "T", "1 2 3", "J K", "Enter", "S", "F", "U", "R", "W", "G", "?", "Esc"]));
  });

  it("lists ranking keys for ranking projects", () => {
    const keys = keyHints(ranking).flatMap((hint) => hint.keys);
    expect(keys).toEqual(expect.arrayContaining(["A", "D", "1", "4", "↑", "↓"]));
    expect(keys).not.toContain("T");
  });

  it("tells the truth about letters that are screen keys, and digits past 9", () => {
    const hints = keyHints({ ...ranking, letters: [..."abcdefghijkl"] });
    const byLetter = hints.find((hint) => hint.label === "Select a response by letter");
    expect(byLetter?.keys).toEqual(["A", "B", "C", "D", "E", "I", "J", "K", "L"]);
    const shifted = hints.find((hint) => hint.keys.includes("⇧F"));
    expect(shifted?.keys).toEqual(["⇧F", "⇧G", "⇧H"]);
    expect(shifted?.label).toContain("F, G or H with Shift");
    const byRank = hints.find((hint) => hint.label.startsWith("Select the response at that rank"));
    expect(byRank?.keys).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    // Every key a hint offers does what it says.
    for (const letter of byLetter?.keys ?? []) {
      expect(actionForKey(press(letter.toLowerCase()), { ...ranking, letters: [..."abcdefghijkl"] })?.type).toBe("rankSelect");
    }
  });
});

describe("flag menu keys", () => {
  it("chooses a reason, confirms, keeps judging with Shift+Enter, closes", () => {
    expect(flagMenuAction(press("2"), 4, false)).toEqual({ type: "reason", index: 1 });
    expect(flagMenuAction(press("5"), 4, false)).toBeNull();
    expect(flagMenuAction(press("Enter"), 4, false)).toEqual({ type: "confirm", keepJudging: false });
    expect(flagMenuAction(press("Enter", { shiftKey: true }), 4, true)).toEqual({ type: "confirm", keepJudging: true });
    expect(flagMenuAction(press("Escape"), 4, true)).toEqual({ type: "close" });
    expect(flagMenuAction(press("2"), 4, true)).toBeNull();
  });
});

describe("all done keys", () => {
  it("takes the last action back with U or Ctrl/Cmd+Z, and nothing else", () => {
    expect(allDoneAction(press("u"), false)).toEqual({ type: "undo" });
    expect(allDoneAction(press("U"), false)).toEqual({ type: "undo" });
    expect(allDoneAction(press("z", { ctrlKey: true }), false)).toEqual({ type: "undo" });
    expect(allDoneAction(press("z", { metaKey: true }), false)).toEqual({ type: "undo" });
    expect(allDoneAction(press("z"), false)).toBeNull();
    expect(allDoneAction(press("u", { ctrlKey: true }), false)).toBeNull();
    expect(allDoneAction(press("z", { ctrlKey: true, shiftKey: true }), false)).toBeNull();
    expect(allDoneAction(press("a"), false)).toBeNull();
    expect(allDoneAction(press("u"), true)).toBeNull();
  });
});

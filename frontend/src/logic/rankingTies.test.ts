// Rankings with ties (issue #19 item 6): the pure pieces behind "=" on the ranking strip.
import { describe, expect, it } from "vitest";
import { type DraftAction, type DraftConfig, newDraft, reduceDraft, toJudgment } from "./draft";
import { actionForKey, keyHints, type KeyContext } from "./keymap";
import { rankingText, rankingTies, rankNumbers, tieGroups, tiesAfterMove, toggleTie } from "./ranking";

const ranking: DraftConfig = { comparisonKind: "ranking", letters: ["a", "b", "c"], scaleSize: 0, allowTies: true, criteria: [] };
const meta = { comparison: 7, time_spent_ms: 10, client_key: "k" };

function play(config: DraftConfig, ...actions: DraftAction[]) {
  return actions.reduce(reduceDraft, newDraft(config));
}

describe("tie groups", () => {
  it("cut the order into runs of equal rank and number them 1, 1, 3", () => {
    expect(tieGroups(["b", "a", "c"], ["a"])).toEqual([["b", "a"], ["c"]]);
    expect(rankingTies(["b", "a", "c"], ["a"])).toEqual([["b", "a"]]);
    expect(rankingTies(["b", "a", "c"], [])).toEqual([]);
    expect(rankNumbers(["b", "a", "c"], ["a"])).toEqual([1, 1, 3]);
    expect(rankNumbers(["b", "a", "c", "d"], ["c", "d"])).toEqual([1, 2, 2, 2]);
    expect(rankingText(["b", "a", "c"], ["a"])).toBe("B = A > C");
  });

  it("toggle a letter's tie with the one above; the best has none above", () => {
    expect(toggleTie(["b", "a", "c"], [], "a")).toEqual(["a"]);
    expect(toggleTie(["b", "a", "c"], ["a"], "a")).toEqual([]);
    expect(toggleTie(["b", "a", "c"], [], "b")).toEqual([]);
  });

  it("follow a move: the moved letter leaves its group, the rest of the group stays together", () => {
    // a = b = c, b moved last: a = c stays, b is on its own
    expect(tiesAfterMove(["a", "b", "c"], ["b", "c"], "b", ["a", "c", "b"])).toEqual(["c"]);
    // a > b = c, b (the group's head) moved to the top: c is alone now
    expect(tiesAfterMove(["a", "b", "c"], ["c"], "b", ["b", "a", "c"])).toEqual([]);
    // a = b > c, c moved between them: the group is split, nothing is tied to c
    expect(tiesAfterMove(["a", "b", "c"], ["b"], "c", ["a", "c", "b"])).toEqual([]);
    // a = b > c > d, d moved above c: a = b untouched
    expect(tiesAfterMove(["a", "b", "c", "d"], ["b"], "d", ["a", "b", "d", "c"])).toEqual(["b"]);
  });
});

describe("ranking draft with ties", () => {
  it("ties the selected response to the one above and sends ranking_ties", () => {
    const draft = play(ranking, { type: "rankSelect", letter: "b" }, { type: "rankMove", delta: -1 }, { type: "rankSelect", letter: "a" }, { type: "rankTie" });
    expect(draft.rankings.overall).toEqual(["b", "a", "c"]);
    expect(draft.tied.overall).toEqual(["a"]);
    expect(toJudgment(draft, meta)).toMatchObject({ ranking: ["b", "a", "c"], ranking_ties: [["b", "a"]] });
  });

  it("sends no ranking_ties without a tie, and a second = takes the tie back", () => {
    const once = play(ranking, { type: "rankTie", letter: "b" });
    expect(once.tied.overall).toEqual(["b"]);
    expect(once.touched.overall).toBe(true); // a tie is a decision: no "unchanged ranking" warning
    const twice = reduceDraft(once, { type: "rankTie", letter: "b" });
    expect(toJudgment(twice, meta)).not.toHaveProperty("ranking_ties");
  });

  it("does nothing where the project does not allow ties, or for the best response", () => {
    expect(play({ ...ranking, allowTies: false }, { type: "rankTie", letter: "b" }).tied.overall).toEqual([]);
    expect(play(ranking, { type: "rankTie", letter: "a" }).tied.overall).toEqual([]);
    expect(play(ranking, { type: "rankTie" }).tied.overall).toEqual([]); // nothing selected
  });

  it("keeps ties through a move that leaves the group together (drag too)", () => {
    const draft = play(ranking, { type: "rankTie", letter: "b" }, { type: "rankReorder", criterion: 0, from: 2, to: 0 });
    expect(draft.rankings.overall).toEqual(["c", "a", "b"]);
    expect(toJudgment(draft, meta).ranking_ties).toEqual([["a", "b"]]);
  });
});

describe("ties per criterion", () => {
  const withCriteria: DraftConfig = { ...ranking, criteria: ["helpful", "harmless"] };

  it("tie on the criterion they are made on, and each criterion sends its own", () => {
    const draft = play(withCriteria,
      { type: "rankSelect", letter: "c", criterion: 1 }, { type: "rankTie" }, // helpful: a > b = c
      { type: "rankTie", letter: "b", criterion: 0 }); // overall: a = b > c
    expect(draft.tied).toEqual({ overall: ["b"], helpful: ["c"], harmless: [] });
    expect(draft.touched).toEqual({ overall: true, helpful: true, harmless: false });
    expect(toJudgment(draft, meta)).toMatchObject({
      ranking: ["a", "b", "c"], ranking_ties: [["a", "b"]],
      criteria: { helpful: { ranking: ["a", "b", "c"], ranking_ties: [["b", "c"]] }, harmless: { ranking: ["a", "b", "c"] } },
    });
    expect(toJudgment(draft, meta).criteria.harmless).not.toHaveProperty("ranking_ties");
  });

  it("follow a move on their own criterion only", () => {
    const draft = play(withCriteria,
      { type: "rankTie", letter: "b", criterion: 0 }, { type: "rankTie", letter: "b", criterion: 1 },
      { type: "rankReorder", criterion: 1, from: 1, to: 2 }); // helpful: b moved away from a
    expect(draft.tied).toEqual({ overall: ["b"], helpful: [], harmless: [] });
    expect(draft.rankings.helpful).toEqual(["a", "c", "b"]);
  });
});

describe("the = key", () => {
  const ctx: KeyContext = {
    comparisonKind: "ranking", letters: ["a", "b", "c"], scaleSize: 0, allowTies: true, criterionCount: 1,
    canDemonstrate: false, inTextField: false, rankSelected: true,
  };
  const press = (key: string) => ({ key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false });

  it("ties the selected response where ties are allowed", () => {
    expect(actionForKey(press("="), ctx)).toEqual({ type: "rankTie" });
    expect(actionForKey(press("="), { ...ctx, allowTies: false })).toBeNull();
    expect(actionForKey(press("="), { ...ctx, rankSelected: false })).toBeNull();
  });

  it("is listed in the help only where ties are allowed", () => {
    expect(keyHints(ctx).some((hint) => hint.keys.includes("="))).toBe(true);
    expect(keyHints({ ...ctx, allowTies: false }).some((hint) => hint.keys.includes("="))).toBe(false);
  });
});

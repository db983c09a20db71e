import { describe, expect, it } from "vitest";
import { checkSubmit, type DraftAction, type DraftConfig, newDraft, reduceDraft, reopenedDraft, restoredDraft, savedDraft, toJudgment } from "./draft";

const pairwise: DraftConfig = { comparisonKind: "pairwise", letters: ["a", "b"], scaleSize: 3, allowTies: true, criteria: [] };
const ranking: DraftConfig = { comparisonKind: "ranking", letters: ["a", "b", "c"], scaleSize: 3, allowTies: true, criteria: [] };
const meta = { comparison: 7, time_spent_ms: 1234.4, client_key: "key-1" };

function play(config: DraftConfig, ...actions: DraftAction[]) {
  return actions.reduce(reduceDraft, newDraft(config));
}

describe("pairwise draft", () => {
  it("needs a winner and a strength", () => {
    expect(checkSubmit(play(pairwise))).toMatchObject({ status: "missing" });
    expect(checkSubmit(play(pairwise, { type: "choose", target: "b" }))).toMatchObject({
      status: "missing", problems: ["Overall: how much better?"],
    });
    const done = play(pairwise, { type: "choose", target: "b" }, { type: "strength", value: 2 });
    expect(checkSubmit(done)).toEqual({ status: "ok" });
    expect(toJudgment(done, meta)).toEqual({
      comparison: 7, winner: "b", strength: 2, criteria: {}, rationale: "", time_spent_ms: 1234, client_key: "key-1",
    });
  });

  it("takes the strength before the winner too", () => {
    const done = play(pairwise, { type: "strength", value: 3 }, { type: "choose", target: "a" });
    expect(toJudgment(done, meta)).toMatchObject({ winner: "a", strength: 3 });
  });

  it("sends a tie without strength, and ignores strength keys on a tie", () => {
    const tie = play(pairwise, { type: "strength", value: 2 }, { type: "choose", target: "tie" }, { type: "strength", value: 1 });
    expect(checkSubmit(tie)).toEqual({ status: "ok" });
    expect(toJudgment(tie, meta)).toMatchObject({ winner: "tie", strength: null });
  });

  it("refuses a tie where the project allows none, and out-of-scale strengths", () => {
    const draft = play({ ...pairwise, allowTies: false }, { type: "choose", target: "tie" }, { type: "strength", value: 4 });
    expect(draft.verdicts.overall).toEqual({ winner: null, strength: null });
  });

  it("needs no strength when the project has no scale", () => {
    const done = play({ ...pairwise, scaleSize: 0 }, { type: "choose", target: "a" });
    expect(toJudgment(done, meta)).toMatchObject({ winner: "a", strength: null });
  });

  it("walks through the criteria as each verdict completes", () => {
    const config = { ...pairwise, criteria: ["helpful", "harmless"] };
    let draft = play(config, { type: "choose", target: "a" }, { type: "strength", value: 1 });
    expect(draft.active).toBe(1);
    draft = play(config, { type: "choose", target: "a" }, { type: "strength", value: 1 },
      { type: "choose", target: "tie" }, { type: "choose", target: "b" });
    expect(draft.active).toBe(2);
    expect(checkSubmit(draft)).toEqual({ status: "missing", problems: ["Harmless: how much better?"], criterion: 2 });
    draft = reduceDraft(draft, { type: "strength", value: 3 });
    expect(toJudgment(draft, meta)).toMatchObject({
      winner: "a", strength: 1,
      criteria: { helpful: { winner: "tie", strength: null }, harmless: { winner: "b", strength: 3 } },
    });
  });

  it("steps between criteria and clamps", () => {
    const config = { ...pairwise, criteria: ["helpful"] };
    expect(play(config, { type: "criterionStep", delta: 1 }).active).toBe(1);
    expect(play(config, { type: "criterionStep", delta: 5 }).active).toBe(1);
    expect(play(config, { type: "criterionStep", delta: -1 }).active).toBe(0);
  });

  it("trims the rationale", () => {
    const done = play(pairwise, { type: "choose", target: "tie" }, { type: "rationale", text: "  both fine \n" });
    expect(toJudgment(done, meta).rationale).toBe("both fine");
  });
});

describe("ranking draft", () => {
  it("reorders with select and move", () => {
    const draft = play(ranking, { type: "rankSelect", letter: "c" }, { type: "rankMove", delta: -2 },
      { type: "rankSelectAt", index: 2 }, { type: "rankMove", delta: -1 });
    expect(draft.rankings.overall).toEqual(["c", "b", "a"]);
    expect(checkSubmit(draft)).toEqual({ status: "ok" });
    expect(toJudgment(draft, meta)).toEqual({
      comparison: 7, ranking: ["c", "b", "a"], criteria: {}, rationale: "", time_spent_ms: 1234, client_key: "key-1",
    });
  });

  it("reorders by drag and selects the dragged item", () => {
    const draft = play(ranking, { type: "rankReorder", criterion: 0, from: 0, to: 2 });
    expect(draft.rankings.overall).toEqual(["b", "c", "a"]);
    expect(draft.selected).toBe("a");
  });

  it("asks once before submitting an order left as presented", () => {
    const draft = play(ranking);
    expect(checkSubmit(draft)).toEqual({ status: "confirm", criteria: ["overall"] });
    const confirmed = reduceDraft(draft, { type: "confirmUnchanged" });
    expect(checkSubmit(confirmed)).toEqual({ status: "ok" });
    expect(checkSubmit(reduceDraft(confirmed, { type: "rankSelect", letter: "a" }))).toMatchObject({ status: "confirm" });
  });

  it("ranks each criterion separately", () => {
    const config = { ...ranking, criteria: ["helpful"] };
    const draft = play(config, { type: "rankSelect", letter: "b" }, { type: "rankMove", delta: -1 },
      { type: "criterionStep", delta: 1 }, { type: "rankSelect", letter: "c" }, { type: "rankMove", delta: -9 });
    expect(toJudgment(draft, meta)).toMatchObject({
      ranking: ["b", "a", "c"], criteria: { helpful: { ranking: ["c", "a", "b"] } },
    });
  });

  it("ignores pairwise actions", () => {
    const draft = newDraft(ranking);
    expect(reduceDraft(draft, { type: "choose", target: "a" })).toBe(draft);
  });
});

describe("criteria follow the overall verdict", () => {
  const config = { ...pairwise, criteria: ["helpful", "harmless"] };

  it("sends the overall verdict and strength on every criterion untouched", () => {
    const draft = play(config, { type: "choose", target: "a" }, { type: "strength", value: 2 });
    expect(checkSubmit(draft)).toEqual({ status: "ok" });
    expect(toJudgment(draft, meta)).toMatchObject({
      winner: "a", strength: 2,
      criteria: { helpful: { winner: "a", strength: 2 }, harmless: { winner: "a", strength: 2 } },
    });
  });

  it("needs only the verdict without a scale, and names only the overall verdict when it is missing", () => {
    const noScale = { ...config, scaleSize: 0 };
    expect(toJudgment(play(noScale, { type: "choose", target: "b" }), meta).criteria).toEqual({
      helpful: { winner: "b", strength: null }, harmless: { winner: "b", strength: null },
    });
    expect(checkSubmit(play(config, { type: "choose", target: "a" }))).toEqual({
      status: "missing", problems: ["Overall: how much better?"], criterion: 0,
    });
  });

  it("stops following once a criterion is given its own verdict, and later overall changes pass it by", () => {
    const draft = play(config, { type: "choose", target: "a" }, { type: "strength", value: 2 },
      { type: "choose", target: "tie" }, { type: "criterion", index: 0 }, { type: "choose", target: "b" });
    expect(draft.verdicts.helpful).toEqual({ winner: "tie", strength: null });
    expect(draft.verdicts.harmless).toEqual({ winner: "b", strength: 2 });
  });

  it("= puts every criterion back on the overall verdict", () => {
    const draft = play(config, { type: "choose", target: "a" }, { type: "strength", value: 2 },
      { type: "choose", target: "b" }, { type: "strength", value: 1 }, { type: "followOverall" });
    expect(draft.verdicts.helpful).toEqual({ winner: "a", strength: 2 });
    expect(draft.follows).toEqual({ overall: false, helpful: true, harmless: true });
  });

  it("detaches a criterion keeping the overall verdict to change from", () => {
    const draft = play(config, { type: "choose", target: "a" }, { type: "strength", value: 2 }, { type: "detach", criterion: 2 });
    expect(draft.follows.harmless).toBe(false);
    expect(draft.active).toBe(2);
    const changed = reduceDraft(draft, { type: "strength", value: 3 });
    expect(toJudgment(reduceDraft(changed, { type: "criterion", index: 0 }), meta).criteria).toEqual({
      helpful: { winner: "a", strength: 2 }, harmless: { winner: "a", strength: 3 },
    });
  });

  it("leaves ranking criteria alone", () => {
    const draft = newDraft({ ...ranking, criteria: ["helpful"] });
    expect(draft.follows.helpful).toBe(false);
    expect(reduceDraft(draft, { type: "followOverall" })).toBe(draft);
  });
});

describe("a draft reopened by Undo", () => {
  const config = { ...pairwise, criteria: ["helpful", "harmless"] };
  const judged = play(config, { type: "choose", target: "a" }, { type: "strength", value: 2 });

  it("keeps its verdicts and starts on Overall with nothing selected", () => {
    expect(judged.active).toBe(1);
    const reopened = reopenedDraft({ ...judged, selected: "b", confirmingUnchanged: true });
    expect(reopened).toMatchObject({ active: 0, selected: null, confirmingUnchanged: false, verdicts: judged.verdicts });
  });

  it("takes a corrected verdict and strength on Overall, the criteria following it", () => {
    const corrected = [{ type: "choose", target: "b" }, { type: "strength", value: 3 }] as DraftAction[];
    const draft = corrected.reduce(reduceDraft, reopenedDraft(judged));
    const fresh = play(config, ...corrected);
    expect(toJudgment(draft, meta)).toEqual(toJudgment(fresh, meta));
    expect(toJudgment(draft, meta)).toMatchObject({
      winner: "b", strength: 3, criteria: { helpful: { winner: "b", strength: 3 }, harmless: { winner: "b", strength: 3 } },
    });
  });

  it("takes a new strength for the same winner on Overall", () => {
    const draft = play(config, { type: "choose", target: "a" }, { type: "strength", value: 3 });
    const again = [{ type: "choose", target: "a" }, { type: "strength", value: 3 }] as DraftAction[];
    expect(toJudgment(again.reduce(reduceDraft, reopenedDraft(judged)), meta)).toEqual(toJudgment(draft, meta));
  });
});

describe("a draft kept in the browser", () => {
  const config = { ...pairwise, criteria: ["helpful"] };
  /** Through storage and back: what a reload does. */
  const reloaded = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

  it("keeps nothing while nothing is chosen, the rationale aside", () => {
    expect(savedDraft(play(config, { type: "rationale", text: "why" }, { type: "criterion", index: 1 }))).toBeNull();
    expect(savedDraft(play(config, { type: "strength", value: 2 }))).not.toBeNull();
  });

  it("comes back with its verdicts, strength, criteria and rationale", () => {
    const draft = play(config, { type: "choose", target: "b" }, { type: "strength", value: 2 }, { type: "choose", target: "a", criterion: 1 });
    const back = restoredDraft(config, reloaded(savedDraft(draft)), "B cites a source");
    expect(back).toMatchObject({ active: draft.active, verdicts: draft.verdicts, follows: draft.follows, rationale: "B cites a source" });
    expect(toJudgment(back, meta)).toEqual(toJudgment({ ...draft, rationale: "B cites a source" }, meta));
  });

  it("brings a ranking back with its ties and what was moved", () => {
    const ties = { ...ranking, criteria: ["helpful"] };
    const draft = play(ties, { type: "rankSelect", letter: "c" }, { type: "rankMove", delta: -2 }, { type: "rankTie", letter: "a" });
    const back = restoredDraft(ties, reloaded(savedDraft(draft)), "");
    expect(back.rankings).toEqual(draft.rankings);
    expect(back.tied).toEqual(draft.tied);
    expect(checkSubmit(back)).toEqual(checkSubmit(draft));
  });

  it("leaves out choices that no longer fit the comparison, keeping the text", () => {
    const draft = play(config, { type: "choose", target: "b" }, { type: "strength", value: 3 });
    const saved = reloaded(savedDraft(draft));
    const fresh = (other: DraftConfig) => ({ ...newDraft(other), rationale: "kept" });
    expect(restoredDraft({ ...config, scaleSize: 2 }, saved, "kept")).toEqual(fresh({ ...config, scaleSize: 2 }));
    expect(restoredDraft({ ...config, criteria: ["honest"] }, saved, "kept")).toEqual(fresh({ ...config, criteria: ["honest"] }));
    expect(restoredDraft(config, { verdicts: "garbage" }, "kept")).toEqual(fresh(config));
    expect(restoredDraft(config, null, "kept")).toEqual(fresh(config));
  });
});

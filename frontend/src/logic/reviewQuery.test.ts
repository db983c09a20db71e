import { describe, expect, it } from "vitest";
import type { Letter } from "../types";
import { NO_FILTERS, agreementText, chosenLetters, nextOffset, pageText, reviewQuery, verdictText } from "./reviewQuery";

describe("reviewQuery", () => {
  it("sends the state and the page, and only the filters that are on", () => {
    expect(reviewQuery(NO_FILTERS, 0)).toBe("state=unreviewed&limit=10&offset=0");
    const all = { state: "all", annotator: " ann ", flagged: true, disagrees: true, wrongOnGold: true } as const;
    expect(reviewQuery(all, 20, 5)).toBe(
      "state=all&limit=5&offset=20&annotator=ann&flagged=1&disagrees=1&wrong_on_gold=1",
    );
  });
});

describe("verdictText", () => {
  const scale = ["slightly better", "better", "much better"];
  it("names the winner and the strength by the scale", () => {
    expect(verdictText({ winner: "a", strength: 3, ranking: null }, scale)).toBe("A, much better");
    expect(verdictText({ winner: "b", strength: null, ranking: null }, [])).toBe("B");
    expect(verdictText({ winner: "tie", strength: null, ranking: null }, scale)).toBe("Tie");
  });
  it("writes a ranking best first", () => {
    expect(verdictText({ winner: "", strength: null, ranking: ["b", "a", "c"] }, scale)).toBe("B > A > C");
    expect(verdictText({ winner: "", strength: null, ranking: ["b", "a", "c"], ranking_ties: [] }, scale)).toBe("B > A > C");
  });
  it("shows a ranking's ties", () => {
    expect(verdictText({ winner: "", strength: null, ranking: ["a", "b", "c"], ranking_ties: [["a", "b"]] }, scale)).toBe("A = B > C");
    const four = { winner: "" as const, strength: null, ranking: ["c", "a", "b", "d"] as Letter[], ranking_ties: [["a", "b", "d"]] as Letter[][] };
    expect(verdictText(four, scale)).toBe("C > A = B = D");
  });
});

describe("chosenLetters", () => {
  it("is the winner, nothing for a tie, a ranking's best group", () => {
    expect(chosenLetters({ winner: "b", strength: 1, ranking: null })).toEqual(["b"]);
    expect(chosenLetters({ winner: "tie", strength: null, ranking: null })).toEqual([]);
    expect(chosenLetters({ winner: "", strength: null, ranking: ["c", "a", "b"], ranking_ties: [] })).toEqual(["c"]);
    expect(chosenLetters({ winner: "", strength: null, ranking: ["a", "b", "c"], ranking_ties: [["a", "b"]] })).toEqual(["a", "b"]);
  });
});

describe("agreementText and pageText", () => {
  it("says how many others agree", () => {
    expect(agreementText(0, 0)).toBe("no other judgments");
    expect(agreementText(1, 1)).toBe("1 of 1 other agrees");
    expect(agreementText(3, 0)).toBe("0 of 3 others agree");
  });
  it("says which entries a page shows", () => {
    expect(pageText(0, 0, 0)).toBe("nothing to review");
    expect(pageText(10, 3, 13)).toBe("11–13 of 13");
  });
});

describe("nextOffset", () => {
  const page = [{ review: "accepted" }, { review: "" }, { review: "rejected" }] as const;
  it("steps back over the entries decided out of the filter", () => {
    expect(nextOffset("unreviewed", 0, [...page], 3)).toBe(1);
    expect(nextOffset("accepted", 3, [...page], 3)).toBe(4);
  });
  it("steps a whole page where nothing left the filter", () => {
    expect(nextOffset("all", 10, [...page], 3)).toBe(13);
  });
});

import { describe, expect, it } from "vitest";
import type { ComparisonDetail, ComparisonJudgment } from "../types";
import { criterionVerdicts, goldFromJudgment, goldText, judgedBy, judgmentTally, reviewText } from "./comparisonDetail";

function judgment(fields: Partial<ComparisonJudgment> = {}): ComparisonJudgment {
  return {
    id: 1, annotator: "ann", by_judge: false, judge: null, winner: "a", strength: 2, ranking: null, ranking_ties: null, criteria: {},
    rationale: "", time_spent_ms: 4000, created_at: "2026-01-01T00:00:00Z", review: "", review_note: "",
    reviewed_by: null, reviewed_at: null, ...fields,
  };
}

describe("a comparison's judgments", () => {
  it("names a judge by its own name and a person by their username", () => {
    expect(judgedBy(judgment())).toBe("ann");
    expect(judgedBy(judgment({ annotator: "judge:3:rm-run-3", by_judge: true, judge: "rm-run-3" }))).toBe("rm-run-3");
    expect(judgedBy(judgment({ annotator: "judge:3:rm-run-3", by_judge: true, judge: null }))).toBe("judge:3:rm-run-3");
  });

  it("gives each criterion's verdict in the project's words", () => {
    const criteria = { helpful: { winner: "b" as const, strength: 1 }, harmless: { winner: "tie" as const, strength: null } };
    expect(criterionVerdicts(judgment({ criteria }), ["slightly better", "much better"])).toEqual([
      ["helpful", "B, slightly better"],
      ["harmless", "Tie"],
    ]);
    expect(criterionVerdicts(judgment({ criteria: { overall: { ranking: ["c", "a", "b"] } } }), [])).toEqual([["overall", "C > A > B"]]);
    const tied = { helpful: { ranking: ["c", "a", "b"], ranking_ties: [["a", "b"]] } } as ComparisonJudgment["criteria"];
    expect(criterionVerdicts(judgment({ criteria: tied }), [])).toEqual([["helpful", "C > A = B"]]);
  });

  it("says how each was reviewed", () => {
    expect(reviewText(judgment())).toBe("not reviewed");
    expect(reviewText(judgment({ review: "accepted", reviewed_by: "ada" }))).toBe("accepted by ada");
    expect(reviewText(judgment({ review: "rejected", reviewed_by: "ada", review_note: "skimmed" }))).toBe("rejected by ada: skimmed");
    expect(reviewText(judgment({ review: "rejected" }))).toBe("rejected");
  });

  it("counts people's and judges' judgments apart and leaves rejected ones out", () => {
    const comparison = {
      judgments: [judgment(), judgment({ review: "rejected" }), judgment({ by_judge: true, judge: "rm" }), judgment({ review: "accepted" })],
    } as ComparisonDetail;
    expect(judgmentTally(comparison)).toEqual({ people: 2, judges: 1, rejected: 1 });
  });

  it("offers a judgment's main verdict as the gold answer, without its strength, and no tied ranking", () => {
    expect(goldFromJudgment(judgment())).toEqual({ winner: "a" });
    expect(goldFromJudgment(judgment({ winner: "tie", strength: null }))).toEqual({ winner: "tie" });
    expect(goldFromJudgment(judgment({ winner: "", strength: null, criteria: { helpful: { winner: "b", strength: null } } }))).toBeNull();
    expect(goldFromJudgment(judgment({ winner: "", strength: null, ranking: ["c", "a", "b"] }))).toEqual({ ranking: ["c", "a", "b"] });
    expect(goldFromJudgment(judgment({ winner: "", strength: null, ranking: ["c", "a", "b"], ranking_ties: [["a", "b"]] }))).toBeNull();
    expect([goldText({ winner: "b" }), goldText({ winner: "tie" }), goldText(null)]).toEqual(["B", "Tie", "—"]);
  });
});

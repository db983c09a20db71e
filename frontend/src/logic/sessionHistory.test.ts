import { describe, expect, it } from "vitest";
import type { Comparison, Judgment, Progress } from "../types";
import { newDraft } from "./draft";
import {
  HISTORY_MAX, type LastAction, progressAfter, refusedJudgment, remembered, skipConfirmation, submitConfirmation,
  UNDO_WINDOW_MS, undoableUntil, undoneConfirmation, undoneNotice,
} from "./sessionHistory";

const comparison: Comparison = {
  id: 7, project: 1, prompt: { id: 3, messages: [] }, responses: [], lease_expires_at: null,
};
const draft = newDraft({ comparisonKind: "pairwise", letters: ["a", "b"], scaleSize: 0, allowTies: true, criteria: [] });
const shown = { comparison, draft, demoText: "", timeMs: 0 };

function submitted(saved: Partial<Judgment> | null): LastAction {
  return { kind: "submit", ...shown, judgment: new Promise(() => undefined), saved: saved as Judgment | null };
}

describe("undoableUntil", () => {
  it("keeps a skip or a flag open for the undo window", () => {
    expect(undoableUntil({ kind: "skip", ...shown, reason: "", write: Promise.resolve(), at: 1000 })).toBe(1000 + UNDO_WINDOW_MS);
    expect(undoableUntil({ kind: "flag", comparison, write: Promise.resolve(), at: 5 })).toBe(5 + UNDO_WINDOW_MS);
  });

  it("takes a saved judgment's edit window, and counts one not yet saved as open", () => {
    expect(undoableUntil(submitted({ editable_until: "2026-01-01T00:10:00Z" }))).toBe(Date.parse("2026-01-01T00:10:00Z"));
    expect(undoableUntil(submitted(null))).toBe(Infinity);
    expect(undoableUntil(submitted({ editable_until: null }))).toBe(0); // one that can never be undone
  });
});

describe("remembered", () => {
  it("puts the newest first and keeps at most HISTORY_MAX", () => {
    let history: LastAction[] = [];
    for (let i = 0; i < HISTORY_MAX + 2; i += 1) history = remembered(history, { kind: "flag", comparison, write: Promise.resolve(), at: i });
    expect(history).toHaveLength(HISTORY_MAX);
    expect(history.map((entry) => (entry.kind === "flag" ? entry.at : -1)).slice(0, 2)).toEqual([HISTORY_MAX + 1, HISTORY_MAX]);
  });
});

describe("words", () => {
  it("confirms a submit, a skip and a flag that skips", () => {
    expect(submitConfirmation(7)).toBe("✓ #7 submitted");
    expect(skipConfirmation(7, "")).toBe("#7 skipped");
    expect(skipConfirmation(7, "unsafe")).toBe("⚑ #7 flagged and skipped");
  });

  it("says what was taken back", () => {
    expect(undoneNotice(submitted(null))).toBe("Reopened your judgment on #7");
    expect(undoneNotice({ kind: "skip", ...shown, reason: "", write: Promise.resolve(), at: 0 })).toBe("The skipped comparison is back");
    expect(undoneNotice({ kind: "skip", ...shown, reason: "other", write: Promise.resolve(), at: 0 })).toBe("Flag withdrawn; the comparison is back");
    expect(undoneNotice({ kind: "flag", comparison, write: Promise.resolve(), at: 0 })).toBe("Flag withdrawn");
  });
});

describe("after an undo or a refusal", () => {
  it("replaces the submitted or skipped mark with one saying the comparison is back", () => {
    expect(undoneConfirmation(submitted(null))).toBe("↺ #7 reopened");
    expect(undoneConfirmation({ kind: "skip", ...shown, reason: "", write: Promise.resolve(), at: 0 })).toBe("↺ #7 reopened");
    expect(undoneConfirmation({ kind: "flag", comparison, write: Promise.resolve(), at: 0 })).toBe("#7 flag withdrawn");
  });

  it("says a comparison judged elsewhere was not submitted here", () => {
    const refused = refusedJudgment(447, "already_judged", "you already judged this comparison");
    expect(refused.confirmation).toBe("#447 already judged in another tab or session");
    expect(refused.notice).toContain("not stored");
    expect(refused.confirmation).not.toContain("submitted");
    expect(refusedJudgment(5, "skipped", "you skipped this comparison")).toEqual({
      confirmation: "#5 not saved", notice: "Judgment on #5 not saved: you skipped this comparison",
    });
  });
});

describe("progressAfter", () => {
  const progress: Progress = { done_today: 1, done_total: 4, remaining: 0, remaining_capped: false };

  it("counts a judgment given and one undone, never below zero", () => {
    expect(progressAfter(progress, 1)).toEqual({ done_today: 2, done_total: 5, remaining: 0, remaining_capped: false });
    expect(progressAfter(progressAfter(progress, -1), -1)).toEqual({ done_today: 0, done_total: 2, remaining: 2, remaining_capped: false });
  });
});

import { describe, expect, it } from "vitest";
import type { Ratings } from "../types";
import { MIN_PAIRS_FOR_RATING, clip, excludedNote, expectedWinRate, leaderboardRows, lengthNote, ratingDomain, statsPayload } from "./leaderboard";

const RATINGS: Ratings = {
  n: 30,
  excluded: { same_model: 0, no_model: 0 },
  scale: "Elo points",
  strength_weighted: null,
  bradley_terry: [
    { model: "big", rating: 1080, ci_low: 1040, ci_high: 1130, rank: 1, n: 20 },
    { model: "small", rating: 920, ci_low: 870, ci_high: 960, rank: 2, n: 20 },
  ],
  elo: [
    { model: "small", rating: 990, ci_low: null, ci_high: null, rank: 2, n: 20 },
    { model: "big", rating: 1010, ci_low: null, ci_high: null, rank: 1, n: 20 },
  ],
  length_controlled: { rows: [{ model: "small", rating: 950, n: 20 }, { model: "big", rating: 1050, n: 20 }], length_coef: 0.3 },
  win_rate: { models: ["big", "small"], matrix: [[null, 0.7], [0.3, null]] },
  reason: null,
};

describe("leaderboard rows", () => {
  it("keeps the Bradley–Terry order and joins Elo and the length-controlled rating by model", () => {
    const rows = leaderboardRows(RATINGS);
    expect(rows.map((r) => r.model)).toEqual(["big", "small"]);
    expect(rows[0]).toMatchObject({ elo: 1010, elo_rank: 1, length_controlled: 1050, length_shift: -30 });
    expect(rows[1]).toMatchObject({ elo: 990, length_controlled: 950, length_shift: 30 });
  });

  it("carries an unrated model with no rating, no shift and why", () => {
    const never = { model: "never", rating: null, ci_low: null, ci_high: null, rank: 3, n: 30, unrated: "below" as const };
    const rows = leaderboardRows({ ...RATINGS, bradley_terry: [...RATINGS.bradley_terry, never],
                                   length_controlled: { rows: [...RATINGS.length_controlled.rows, { model: "never", rating: 700, n: 30 }], length_coef: 0.3 } });
    expect(rows[2]).toMatchObject({ rating: null, unrated: "below", length_shift: null });
    expect(ratingDomain(rows)).toEqual(ratingDomain(rows.slice(0, 2)));  // nothing to draw, no room taken
    expect(rows[0].unrated).toBeNull();  // a payload from before the field: rated
  });

  it("leaves a model missing from a fit blank", () => {
    const rows = leaderboardRows({ ...RATINGS, elo: [], length_controlled: { rows: [], length_coef: null } });
    expect(rows[0]).toMatchObject({ elo: null, elo_rank: null, length_controlled: null, length_shift: null });
  });

  it("draws every bar on one round axis that holds all intervals and Elo marks", () => {
    const [low, high] = ratingDomain(leaderboardRows(RATINGS));
    expect(low).toBeLessThanOrEqual(870);
    expect(high).toBeGreaterThanOrEqual(1130);
    expect(low % 50).toBe(0);
    expect(ratingDomain([])).toEqual([900, 1100]);
  });

  it("marks a model with few judged pairs provisional and keeps its wild interval off the axis", () => {
    const newcomer = { model: "new", rating: 1400, ci_low: 700, ci_high: 2600, rank: 1, n: MIN_PAIRS_FOR_RATING - 1 };
    const rows = leaderboardRows({ ...RATINGS, bradley_terry: [newcomer, ...RATINGS.bradley_terry] });
    expect(rows.map((r) => r.provisional)).toEqual([true, false, false]);
    const domain = ratingDomain(rows);
    expect(domain[1]).toBeLessThan(1400);
    expect(clip(2600, domain)).toEqual({ value: domain[1], clipped: true });
    expect(clip(1000, domain)).toEqual({ value: 1000, clipped: false });
    // with no settled model the axis holds everyone
    expect(ratingDomain(rows.map((r) => ({ ...r, provisional: true })))[1]).toBeGreaterThanOrEqual(2600);
  });
});

describe("the length note", () => {
  const withLength = (coef: number | null, se: number | null | undefined) =>
    ({ ...RATINGS, length_controlled: { ...RATINGS.length_controlled, length_coef: coef, length_coef_se: se } });

  it("names a direction only past 1.96 standard errors", () => {
    expect(lengthNote(withLength(0.6, 0.2))).toContain("longer responses won more often (coefficient 0.60 ± 0.39)");
    expect(lengthNote(withLength(-0.6, 0.2))).toContain("shorter responses won more often");
    expect(lengthNote(withLength(3.46, 2.5))).toContain("no clear effect of length");
  });

  it("says so where length cannot be told from the models, and shows no length-controlled rating", () => {
    const ratings = withLength(3.46, null);
    expect(lengthNote(ratings)).toContain("cannot tell length from the models");
    expect(leaderboardRows(ratings).every((row) => row.length_controlled === null && row.length_shift === null)).toBe(true);
  });

  it("reads stats from before the standard error as it did", () => {
    expect(lengthNote(withLength(0.3, undefined))).toContain("longer responses won more often (coefficient 0.30)");
    expect(leaderboardRows(withLength(0.3, undefined))[0].length_controlled).toBe(1050);
  });
});

describe("what a rating gap means", () => {
  it("is even for equal ratings and 10:1 at 400 points", () => {
    expect(expectedWinRate(1000, 1000)).toBe(0.5);
    expect(expectedWinRate(1400, 1000)).toBeCloseTo(10 / 11);
    expect(expectedWinRate(1000, 1400)).toBeCloseTo(1 / 11);
  });
});

describe("stats payload", () => {
  it("accepts the payload bare or wrapped, and nothing else", () => {
    const payload = { agreement: {}, ratings: RATINGS };
    expect(statsPayload(payload)).toBe(payload);
    expect(statsPayload({ payload, dirty: true })).toBe(payload);
    expect(statsPayload({ payload: {} })).toBeNull();
    expect(statsPayload(null)).toBeNull();
  });
});

describe("excluded note", () => {
  it("names pairs of one model with itself and pairs naming no model apart", () => {
    expect(excludedNote({ ...RATINGS, excluded: { same_model: 3, no_model: 1200 } })).toBe(
      "Left out: 3 pairs of one model with itself and 1,200 pairs where neither response has a model name.",
    );
    expect(excludedNote({ ...RATINGS, excluded: { same_model: 0, no_model: 1 } })).toBe(
      "Left out: 1 pair where neither response has a model name.",
    );
  });

  it("says nothing when no pair was left out", () => {
    expect(excludedNote({ ...RATINGS, excluded: { same_model: 0, no_model: 0 } })).toBe("");
    expect(excludedNote(RATINGS)).toBe("");
  });
});

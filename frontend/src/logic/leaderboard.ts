// The leaderboard's table: Bradley–Terry rows (the published ranking) joined with online Elo and
// the length-controlled fit by model, and the shared axis their interval bars are drawn on. Pure.

import type { ProjectStats, Ratings, Unrated } from "../types";
import { type Domain, extent, niceDomain, padded } from "./chartScale";
import { count, fixed } from "./format";

/**
 * Judged pairs a model needs before its rating is shown as settled. Below it a Bradley–Terry
 * fit still moves by hundreds of points with each judgment: the row is marked provisional,
 * gets no rank and stays out of the headline and the axis.
 */
export const MIN_PAIRS_FOR_RATING = 20;

export interface LeaderboardRow {
  model: string;
  provisional: boolean;
  rank: number | null;
  rating: number | null;
  unrated: Unrated | null;
  ci_low: number | null;
  ci_high: number | null;
  n: number;
  elo: number | null;
  elo_rank: number | null;
  length_controlled: number | null;
  /** Length-controlled rating minus the plain one: positive when length was holding it back. */
  length_shift: number | null;
}

export function leaderboardRows(ratings: Ratings): LeaderboardRow[] {
  const elo = new Map(ratings.elo.map((row) => [row.model, row]));
  const lengthControlled = new Map(ratings.length_controlled.rows.map((row) => [row.model, row.rating]));
  return ratings.bradley_terry.map((row) => {
    // where the data cannot tell length from the models, the length-controlled ratings mean nothing
    const lc = ratings.length_controlled.length_coef_se === null ? null : lengthControlled.get(row.model) ?? null;
    return {
      model: row.model,
      provisional: row.n < MIN_PAIRS_FOR_RATING,
      rank: row.rank,
      rating: row.rating,
      unrated: row.unrated ?? null,
      ci_low: row.ci_low,
      ci_high: row.ci_high,
      n: row.n,
      elo: elo.get(row.model)?.rating ?? null,
      elo_rank: elo.get(row.model)?.rank ?? null,
      length_controlled: lc,
      length_shift: lc === null || row.rating === null ? null : lc - row.rating,
    };
  });
}

/**
 * One axis for every interval bar and Elo mark, on round numbers. It spans the settled rows
 * only (all rows when none is settled): a provisional model's interval can run for thousands
 * of points and would squash every other bar; its bar is clipped at the axis instead.
 */
export function ratingDomain(rows: LeaderboardRow[]): Domain {
  const settled = rows.some((row) => !row.provisional) ? rows.filter((row) => !row.provisional) : rows;
  const values = settled.flatMap((row) => [row.rating, row.ci_low, row.ci_high, row.elo]);
  return niceDomain(padded(extent(values), [900, 1100]), 4);
}

/** `value` held inside `domain`, and whether it had to be moved (a clipped bar end). */
export function clip(value: number, [low, high]: Domain): { value: number; clipped: boolean } {
  const held = Math.min(high, Math.max(low, value));
  return { value: held, clipped: held !== value };
}

/**
 * The expected share of wins of a model rated `a` against one rated `b` on the Elo scale
 * (400 points = 10:1 odds), to say what a gap means in words.
 */
export function expectedWinRate(a: number, b: number): number {
  return 1 / (1 + 10 ** ((b - a) / 400));
}

/** The stats payload from GET /stats/, whether it comes bare or wrapped as {"payload": ...}; null if none yet. */
export function statsPayload(body: unknown): ProjectStats | null {
  if (!body || typeof body !== "object") return null;
  const record = body as Record<string, unknown>;
  const inner = record.payload && typeof record.payload === "object" ? (record.payload as Record<string, unknown>) : record;
  return "agreement" in inner && "ratings" in inner ? (inner as unknown as ProjectStats) : null;
}

/** The leaderboard footnote's sentence on length: which way it went, only where the data tell it
 * apart from chance (1.96 standard errors) and from the models themselves. */
export function lengthNote(ratings: Ratings): string {
  const { length_coef: coef, length_coef_se: se } = ratings.length_controlled;
  if (coef === null) return "";
  if (se === null) {
    return "Length control: these judgments cannot tell length from the models (each model's responses are all the longer or all the shorter, or length alone decides), so no length-controlled rating is shown.";
  }
  const margin = se === undefined ? null : 1.96 * se;
  const estimate = margin === null ? fixed(coef) : `${fixed(coef)} ± ${fixed(margin)}`;
  const clear = margin === null ? Math.abs(coef) > 0.05 : Math.abs(coef) > margin;
  const direction = !clear ? "no clear effect of length" : coef > 0 ? "longer responses won more often" : "shorter responses won more often";
  return `Length control: ${direction} (coefficient ${estimate}); ▲/▼ show how a model moves once length is accounted for.`;
}

/** What an unrated model's row says instead of a rating. */
export const UNRATED_NOTE: Record<Unrated, string> = {
  above: "never lost to the rated models: no upper limit to its rating yet",
  below: "never won against the rated models: no lower limit to its rating yet",
  apart: "no judgment connects it to the rated models",
};

/** The pairs the ratings left out, as a sentence for the leaderboard's footnote; "" when none. */
export function excludedNote(ratings: Ratings): string {
  const same = ratings.excluded?.same_model ?? 0;
  const unnamed = ratings.excluded?.no_model ?? 0;
  const pairs = (n: number) => `${count(n)} ${n === 1 ? "pair" : "pairs"}`;
  const parts = [
    same ? `${pairs(same)} of one model with itself` : "",
    unnamed ? `${pairs(unnamed)} where neither response has a model name` : "",
  ].filter(Boolean);
  return parts.length ? `Left out: ${parts.join(" and ")}.` : "";
}

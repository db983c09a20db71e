// The judgment being made on the current comparison, as a pure reducer: every click and key press
// becomes a DraftAction; the screen only renders a Draft and sends toJudgment(draft).

import type { Comparison, ComparisonKind, JudgmentCreate, Letter, PairwiseVerdict, PairwiseWinner, Project, RankingVerdict } from "../types";
import { OVERALL } from "../generated/constants";
import { moveItem, moveLetter, rankingTies, tiesAfterMove, toggleTie } from "./ranking";


export interface DraftConfig {
  comparisonKind: ComparisonKind;
  /** The response positions as shown, e.g. ["a", "b"]. */
  letters: Letter[];
  /** len(project.strength_scale); 0 when the project has no scale. */
  scaleSize: number;
  allowTies: boolean;
  criteria: string[];
}

export interface PairwiseDraftVerdict {
  winner: PairwiseWinner | null;
  strength: number | null;
}

export interface Draft {
  config: DraftConfig;
  /** [OVERALL, ...criteria]: each gets its own verdict (pairwise) or ranking. */
  criteria: string[];
  /** The criterion that keys act on. */
  active: number;
  verdicts: Record<string, PairwiseDraftVerdict>;
  rankings: Record<string, Letter[]>;
  /** Ranking, per criterion (where the project allows ties): the letters ranked equal to the one
   * just above them (ranking.ts: tieGroups). */
  tied: Record<string, Letter[]>;
  /** Ranking: whether the annotator has moved anything in the criterion. */
  touched: Record<string, boolean>;
  /** Pairwise criteria that still follow the overall verdict (every one until changed on its own). */
  follows: Record<string, boolean>;
  /** Ranking: the letter that arrow keys move. */
  selected: Letter | null;
  rationale: string;
  /** Ranking: the annotator was warned that a ranking is unchanged; the next submit goes. */
  confirmingUnchanged: boolean;
}

export type DraftAction =
  | { type: "choose"; target: PairwiseWinner; criterion?: number }
  | { type: "strength"; value: number; criterion?: number }
  | { type: "criterion"; index: number }
  | { type: "criterionStep"; delta: number }
  | { type: "rankSelect"; letter: Letter | null; criterion?: number }
  | { type: "rankSelectAt"; index: number }
  | { type: "rankMove"; delta: number }
  | { type: "rankReorder"; criterion: number; from: number; to: number }
  | { type: "rankTie"; letter?: Letter; criterion?: number }
  | { type: "rationale"; text: string }
  | { type: "followOverall" }
  | { type: "detach"; criterion: number }
  | { type: "confirmUnchanged" };

/** The draft's settings for `comparison` in `project`. */
export function draftConfigFor(project: Project, comparison: Comparison): DraftConfig {
  return {
    comparisonKind: project.task_type,
    letters: comparison.responses.map((response) => response.letter),
    scaleSize: project.task_type === "pairwise" ? project.strength_scale.length : 0,
    allowTies: project.allow_ties,
    criteria: project.criteria,
  };
}

export function newDraft(config: DraftConfig): Draft {
  const criteria = [OVERALL, ...config.criteria];
  const verdicts: Record<string, PairwiseDraftVerdict> = {};
  const rankings: Record<string, Letter[]> = {};
  const touched: Record<string, boolean> = {};
  const follows: Record<string, boolean> = {};
  const tied: Record<string, Letter[]> = {};
  for (const criterion of criteria) {
    tied[criterion] = [];
    verdicts[criterion] = { winner: null, strength: null };
    rankings[criterion] = [...config.letters];
    touched[criterion] = false;
    follows[criterion] = criterion !== OVERALL && config.comparisonKind === "pairwise";
  }
  return {
    config, criteria, active: 0, verdicts, rankings, tied, touched, follows,
    selected: null, rationale: "", confirmingUnchanged: false,
  };
}

/** A draft put back on screen (Undo, History → Reopen): its verdicts, rankings and rationale as
 * they were, but the keys start on Overall with nothing selected, as on a fresh comparison. The
 * draft was left with its last criterion active (advance() moves on once Overall is complete), so
 * keys meant to correct the verdict would otherwise change a criterion instead. */
export function reopenedDraft(draft: Draft): Draft {
  return { ...draft, active: 0, selected: null, confirmingUnchanged: false };
}

/** What of a draft is kept in the browser until it is sent (logic/unsentText), so that a reload,
 * or the comparison coming back after an undo took another's place, finds the verdicts where they
 * were: the choices made. The settings come from the project again; the rationale is kept as text. */
export type SavedDraft = Pick<Draft, "active" | "verdicts" | "rankings" | "tied" | "touched" | "follows">;

/** The choices to keep; null while nothing is chosen (a fresh draft keeps nothing). */
export function savedDraft(draft: Draft): SavedDraft | null {
  const fresh = newDraft(draft.config);
  const chosen = draft.criteria.some((criterion) => {
    const verdict = draft.verdicts[criterion];
    return verdict.winner !== null || verdict.strength !== null || draft.touched[criterion] ||
      draft.tied[criterion].length > 0 || draft.follows[criterion] !== fresh.follows[criterion];
  });
  if (!chosen) return null;
  const { active, verdicts, rankings, tied, touched, follows } = draft;
  return { active, verdicts, rankings, tied, touched, follows };
}

/** A fresh draft for `config` with the kept `rationale` and, where `saved` fits the comparison as
 * the project stands now (the same responses, criteria, scale), the kept choices; a draft that
 * does not fit (the project changed, another version wrote it) is left out and the text kept. */
export function restoredDraft(config: DraftConfig, saved: unknown, rationale: string): Draft {
  const fresh = { ...newDraft(config), rationale };
  if (!saved || typeof saved !== "object") return fresh;
  const kept = saved as Partial<SavedDraft>;
  const fits = fresh.criteria.every((criterion) => fitsCriterion(config, kept, criterion));
  if (!fits) return fresh;
  const active = Number.isInteger(kept.active) && (kept.active as number) >= 0 && (kept.active as number) < fresh.criteria.length
    ? (kept.active as number) : 0;
  const pick = <T>(record: Record<string, T> | undefined) =>
    Object.fromEntries(fresh.criteria.map((criterion) => [criterion, (record as Record<string, T>)[criterion]]));
  return {
    ...fresh, active,
    verdicts: pick(kept.verdicts), rankings: pick(kept.rankings), tied: pick(kept.tied),
    touched: pick(kept.touched), follows: pick(kept.follows),
  };
}

function fitsCriterion(config: DraftConfig, kept: Partial<SavedDraft>, criterion: string): boolean {
  const verdict = kept.verdicts?.[criterion];
  const ranking = kept.rankings?.[criterion];
  const tied = kept.tied?.[criterion];
  if (!verdict || !Array.isArray(ranking) || !Array.isArray(tied)) return false;
  const winners: (string | null)[] = [null, ...(config.comparisonKind === "pairwise" ? config.letters : []), ...(config.allowTies ? ["tie"] : [])];
  const strength = verdict.strength;
  const strengthFits = strength === null || (Number.isInteger(strength) && strength >= 1 && strength <= config.scaleSize);
  const isPermutation = ranking.length === config.letters.length && config.letters.every((letter) => ranking.includes(letter));
  const tiesFit = tied.every((letter) => ranking.indexOf(letter) > 0) && new Set(tied).size === tied.length;
  return winners.includes(verdict.winner) && strengthFits && isPermutation && tiesFit &&
    typeof kept.touched?.[criterion] === "boolean" && typeof kept.follows?.[criterion] === "boolean";
}

export function criterionLabel(criterion: string): string {
  return criterion === OVERALL ? "Overall" : criterion.charAt(0).toUpperCase() + criterion.slice(1);
}

export function isVerdictComplete(verdict: PairwiseDraftVerdict, scaleSize: number): boolean {
  if (verdict.winner === null) return false;
  return verdict.winner === "tie" || scaleSize === 0 || verdict.strength !== null;
}

export function reduceDraft(draft: Draft, action: DraftAction): Draft {
  const next = applyAction(draft, action);
  if (next === draft) return draft;
  return action.type === "confirmUnchanged" ? next : { ...next, confirmingUnchanged: false };
}

function applyAction(draft: Draft, action: DraftAction): Draft {
  switch (action.type) {
    case "choose":
      return choose(draft, action.target, action.criterion ?? draft.active);
    case "strength":
      return setStrength(draft, action.value, action.criterion ?? draft.active);
    case "criterion":
      return withActive(draft, action.index);
    case "criterionStep":
      return withActive(draft, draft.active + action.delta);
    case "rankSelect": case "rankSelectAt": case "rankMove": case "rankReorder":
      return rankingAction(draft, action);
    case "rankTie":
      return rankTie(draft, action.letter ?? draft.selected, action.criterion ?? draft.active);
    case "rationale":
      return { ...draft, rationale: action.text };
    case "detach":
      return detach(draft, action.criterion);
    case "followOverall":
      return followOverall(draft);
    case "confirmUnchanged":
      return { ...draft, confirmingUnchanged: true };
  }
}

type RankingAction = Extract<DraftAction, { type: "rankSelect" | "rankSelectAt" | "rankMove" | "rankReorder" }>;

/** Pairwise: `target` wins on the criterion at `index`. */
function choose(draft: Draft, target: PairwiseWinner, index: number): Draft {
  const { config } = draft;
  if (config.comparisonKind !== "pairwise") return draft;
  if (target === "tie" && !config.allowTies) return draft;
  if (target !== "tie" && !config.letters.includes(target)) return draft;
  const criterion = draft.criteria[index];
  const old = draft.verdicts[criterion];
  // A criterion chosen on its own starts afresh: the strength it followed was given for the
  // overall verdict, and keeping it would complete the verdict before its own strength key.
  const strength = target === "tie" || draft.follows[criterion] ? null : old.strength;
  const next = setVerdict(draft, index, { winner: target, strength });
  // A strength kept from an earlier winner (the verdict changed, or was reopened by Undo) was not
  // given for this one: stay, so that a strength key pressed next changes it here, as it would on
  // a fresh comparison, instead of landing on the next criterion.
  const kept = strength !== null && old.winner !== null;
  return kept ? next : advance(next, index);
}

/** Pairwise: how much better, 1..scaleSize, on the criterion at `index` (not for a tie). */
function setStrength(draft: Draft, value: number, index: number): Draft {
  const { config } = draft;
  if (config.comparisonKind !== "pairwise" || value < 1 || value > config.scaleSize) return draft;
  const old = draft.verdicts[draft.criteria[index]];
  if (old.winner === "tie") return draft;
  return advance(setVerdict(draft, index, { winner: old.winner, strength: value }), index);
}

function rankingAction(draft: Draft, action: RankingAction): Draft {
  switch (action.type) {
    case "rankSelect": {
      if (action.letter !== null && !draft.config.letters.includes(action.letter)) return draft;
      return { ...withActive(draft, action.criterion ?? draft.active), selected: action.letter };
    }
    case "rankSelectAt": {
      const letter = draft.rankings[draft.criteria[draft.active]][action.index];
      return letter === undefined ? draft : { ...draft, selected: letter };
    }
    case "rankMove": {
      if (draft.selected === null) return draft;
      const criterion = draft.criteria[draft.active];
      return setRanking(draft, criterion, moveLetter(draft.rankings[criterion], draft.selected, action.delta), draft.selected);
    }
    case "rankReorder": {
      const criterion = draft.criteria[action.criterion];
      if (criterion === undefined) return draft;
      const ranking = moveItem(draft.rankings[criterion], action.from, action.to);
      const moved = draft.rankings[criterion][action.from] ?? null;
      if (moved === null) return draft;
      return { ...setRanking(draft, criterion, ranking, moved), active: action.criterion, selected: moved };
    }
  }
}

/** Ranking: mark `letter` equal to the one above it on the ranking of the criterion at `index`, or
 * unmark it. */
function rankTie(draft: Draft, letter: Letter | null, index: number): Draft {
  const criterion = draft.criteria[index];
  if (draft.config.comparisonKind !== "ranking" || !draft.config.allowTies || letter === null || criterion === undefined) return draft;
  const order = draft.rankings[criterion];
  if (order.indexOf(letter) <= 0) return draft;
  return {
    ...draft, active: index, selected: letter,
    tied: { ...draft.tied, [criterion]: toggleTie(order, draft.tied[criterion], letter) },
    touched: { ...draft.touched, [criterion]: true },
  };
}

/** A criterion that followed the overall verdict gets its own. */
function detach(draft: Draft, index: number): Draft {
  const criterion = draft.criteria[index];
  if (!draft.follows[criterion]) return draft;
  return { ...draft, active: index, follows: { ...draft.follows, [criterion]: false } };
}

/** Pairwise: every criterion back on the overall verdict. */
function followOverall(draft: Draft): Draft {
  if (draft.config.comparisonKind !== "pairwise" || draft.criteria.length < 2) return draft;
  const follows = Object.fromEntries(draft.criteria.map((criterion) => [criterion, criterion !== OVERALL]));
  return withFollowers({ ...draft, follows });
}

function withActive(draft: Draft, index: number): Draft {
  const active = Math.max(0, Math.min(draft.criteria.length - 1, index));
  return active === draft.active ? draft : { ...draft, active };
}

/** Set one criterion's verdict: the overall verdict carries over to the criteria that follow it, and
 * a criterion given its own verdict stops following. */
function setVerdict(draft: Draft, index: number, verdict: PairwiseDraftVerdict): Draft {
  const criterion = draft.criteria[index];
  const next = { ...draft, active: index, verdicts: { ...draft.verdicts, [criterion]: verdict } };
  if (criterion === OVERALL) return withFollowers(next);
  return { ...next, follows: { ...draft.follows, [criterion]: false } };
}

function withFollowers(draft: Draft): Draft {
  const verdicts = { ...draft.verdicts };
  for (const criterion of draft.criteria) if (draft.follows[criterion]) verdicts[criterion] = { ...verdicts[OVERALL] };
  return { ...draft, verdicts };
}

/** A new order for `criterion` after `moved` was moved; the criterion's ties follow the move. */
function setRanking(draft: Draft, criterion: string, ranking: Letter[], moved: Letter): Draft {
  const before = draft.rankings[criterion];
  const changed = ranking.some((letter, index) => letter !== before[index]);
  const tied = changed ? tiesAfterMove(before, draft.tied[criterion], moved, ranking) : draft.tied[criterion];
  return {
    ...draft,
    tied: { ...draft.tied, [criterion]: tied },
    rankings: { ...draft.rankings, [criterion]: ranking },
    touched: { ...draft.touched, [criterion]: true },
  };
}

/** Once the criterion at `index` is complete, move on to the next one still to look at: an
 * incomplete one, or a criterion that follows the overall verdict (Enter submits it as it is). */
function advance(draft: Draft, index: number): Draft {
  const { scaleSize } = draft.config;
  if (!isVerdictComplete(draft.verdicts[draft.criteria[index]], scaleSize)) return draft;
  const count = draft.criteria.length;
  for (let step = 1; step < count; step += 1) {
    const candidate = (index + step) % count;
    const criterion = draft.criteria[candidate];
    const unseen = candidate > index && draft.follows[criterion];
    if (unseen || !isVerdictComplete(draft.verdicts[criterion], scaleSize)) return { ...draft, active: candidate };
  }
  return draft;
}

export type SubmitCheck =
  | { status: "ok" }
  | { status: "missing"; problems: string[]; criterion: number }
  | { status: "confirm"; criteria: string[] };

/** Whether the draft can be sent: what is missing, or a ranking left as presented. */
export function checkSubmit(draft: Draft): SubmitCheck {
  if (draft.config.comparisonKind === "pairwise") {
    const problems: string[] = [];
    let first = -1;
    draft.criteria.forEach((criterion, index) => {
      if (draft.follows[criterion]) return; // its problem is the overall verdict's
      const verdict = draft.verdicts[criterion];
      const label = criterionLabel(criterion);
      if (verdict.winner === null) problems.push(`${label}: choose a response${draft.config.allowTies ? " or tie" : ""}`);
      else if (!isVerdictComplete(verdict, draft.config.scaleSize)) problems.push(`${label}: how much better?`);
      else return;
      if (first < 0) first = index;
    });
    return problems.length ? { status: "missing", problems, criterion: first } : { status: "ok" };
  }
  const untouched = draft.criteria.filter((criterion) => !draft.touched[criterion]);
  if (untouched.length && !draft.confirmingUnchanged) return { status: "confirm", criteria: untouched };
  return { status: "ok" };
}

function pairwiseVerdict(verdict: PairwiseDraftVerdict): PairwiseVerdict {
  const winner = verdict.winner as PairwiseWinner;
  return { winner, strength: winner === "tie" ? null : verdict.strength };
}

/** A criterion's ranking, with `ranking_ties` only where it has any. */
function rankingVerdict(draft: Draft, criterion: string): RankingVerdict {
  const ties = rankingTies(draft.rankings[criterion], draft.tied[criterion]);
  return { ranking: [...draft.rankings[criterion]], ...(ties.length ? { ranking_ties: ties } : {}) };
}

/** The POST /api/judgments/ body for a draft that passed checkSubmit. */
export function toJudgment(
  draft: Draft,
  meta: { comparison: number; time_spent_ms: number; client_key: string },
): JudgmentCreate {
  const pairwise = draft.config.comparisonKind === "pairwise";
  const criteria: Record<string, PairwiseVerdict | RankingVerdict> = {};
  for (const criterion of draft.config.criteria) {
    criteria[criterion] = pairwise ? pairwiseVerdict(draft.verdicts[criterion]) : rankingVerdict(draft, criterion);
  }
  const result = pairwise ? pairwiseVerdict(draft.verdicts[OVERALL]) : rankingVerdict(draft, OVERALL);
  return {
    comparison: meta.comparison,
    ...result,
    criteria,
    rationale: draft.rationale.trim(),
    time_spent_ms: Math.max(0, Math.round(meta.time_spent_ms)),
    client_key: meta.client_key,
  };
}

// The judgment being made on the current task, as a pure reducer: every click and key press
// becomes a DraftAction; the screen only renders a Draft and sends toJudgment(draft).

import type { JudgmentCreate, Letter, PairwiseResult, PairwiseWinner, RankingResult, TaskType } from "../types";
import { moveItem, moveLetter } from "./ranking";

/** The name of the first section: the overall judgment. The project's criteria follow it. */
export const OVERALL = "overall";

export interface DraftConfig {
  taskType: TaskType;
  /** The response letters as presented, e.g. ["a", "b"]. */
  letters: Letter[];
  /** len(project.strength_scale); 0 when the project has no scale. */
  scaleSize: number;
  allowTies: boolean;
  criteria: string[];
}

export interface PairwisePick {
  winner: PairwiseWinner | null;
  strength: number | null;
}

export interface Draft {
  config: DraftConfig;
  /** [OVERALL, ...criteria]: each gets its own pick (pairwise) or order (ranking). */
  sections: string[];
  /** The section that keys act on. */
  active: number;
  picks: Record<string, PairwisePick>;
  orders: Record<string, Letter[]>;
  /** Ranking: whether the annotator has moved anything in the section. */
  touched: Record<string, boolean>;
  /** Pairwise criteria that still follow the overall pick (every one until changed on its own). */
  follows: Record<string, boolean>;
  /** Ranking: the letter that arrow keys move. */
  selected: Letter | null;
  rationale: string;
  /** Ranking: the annotator was warned that an order is unchanged; the next submit goes. */
  confirmingUnchanged: boolean;
}

export type DraftAction =
  | { type: "choose"; target: PairwiseWinner; section?: number }
  | { type: "strength"; value: number; section?: number }
  | { type: "section"; index: number }
  | { type: "sectionStep"; delta: number }
  | { type: "rankSelect"; letter: Letter | null; section?: number }
  | { type: "rankSelectAt"; index: number }
  | { type: "rankMove"; delta: number }
  | { type: "rankReorder"; section: number; from: number; to: number }
  | { type: "rationale"; text: string }
  | { type: "followOverall" }
  | { type: "detach"; section: number }
  | { type: "confirmUnchanged" };

export function newDraft(config: DraftConfig): Draft {
  const sections = [OVERALL, ...config.criteria];
  const picks: Record<string, PairwisePick> = {};
  const orders: Record<string, Letter[]> = {};
  const touched: Record<string, boolean> = {};
  const follows: Record<string, boolean> = {};
  for (const section of sections) {
    picks[section] = { winner: null, strength: null };
    orders[section] = [...config.letters];
    touched[section] = false;
    follows[section] = section !== OVERALL && config.taskType === "pairwise";
  }
  return {
    config, sections, active: 0, picks, orders, touched, follows,
    selected: null, rationale: "", confirmingUnchanged: false,
  };
}

export function sectionLabel(section: string): string {
  return section === OVERALL ? "Overall" : section.charAt(0).toUpperCase() + section.slice(1);
}

export function isPickComplete(pick: PairwisePick, scaleSize: number): boolean {
  if (pick.winner === null) return false;
  return pick.winner === "tie" || scaleSize === 0 || pick.strength !== null;
}

export function reduceDraft(draft: Draft, action: DraftAction): Draft {
  const next = applyAction(draft, action);
  if (next === draft) return draft;
  return action.type === "confirmUnchanged" ? next : { ...next, confirmingUnchanged: false };
}

function applyAction(draft: Draft, action: DraftAction): Draft {
  const { config } = draft;
  switch (action.type) {
    case "choose": {
      if (config.taskType !== "pairwise") return draft;
      if (action.target === "tie" && !config.allowTies) return draft;
      if (action.target !== "tie" && !config.letters.includes(action.target)) return draft;
      const index = action.section ?? draft.active;
      const section = draft.sections[index];
      const old = draft.picks[section];
      // A criterion picked on its own starts afresh: the strength it followed was given for the
      // overall verdict, and keeping it would complete the pick before its own strength key.
      const strength = action.target === "tie" || draft.follows[section] ? null : old.strength;
      return advance(setPick(draft, index, { winner: action.target, strength }), index);
    }
    case "strength": {
      if (config.taskType !== "pairwise") return draft;
      if (action.value < 1 || action.value > config.scaleSize) return draft;
      const index = action.section ?? draft.active;
      const old = draft.picks[draft.sections[index]];
      if (old.winner === "tie") return draft;
      return advance(setPick(draft, index, { winner: old.winner, strength: action.value }), index);
    }
    case "section":
      return withActive(draft, action.index);
    case "sectionStep":
      return withActive(draft, draft.active + action.delta);
    case "rankSelect": {
      const active = action.section ?? draft.active;
      if (action.letter !== null && !config.letters.includes(action.letter)) return draft;
      return { ...withActive(draft, active), selected: action.letter };
    }
    case "rankSelectAt": {
      const letter = draft.orders[draft.sections[draft.active]][action.index];
      return letter === undefined ? draft : { ...draft, selected: letter };
    }
    case "rankMove": {
      if (draft.selected === null) return draft;
      const section = draft.sections[draft.active];
      return setOrder(draft, section, moveLetter(draft.orders[section], draft.selected, action.delta));
    }
    case "rankReorder": {
      const section = draft.sections[action.section];
      if (section === undefined) return draft;
      const order = moveItem(draft.orders[section], action.from, action.to);
      const moved = draft.orders[section][action.from] ?? null;
      return { ...setOrder(draft, section, order), active: action.section, selected: moved };
    }
    case "rationale":
      return { ...draft, rationale: action.text };
    case "detach": {
      const section = draft.sections[action.section];
      if (!draft.follows[section]) return draft;
      return { ...draft, active: action.section, follows: { ...draft.follows, [section]: false } };
    }
    case "followOverall": {
      if (config.taskType !== "pairwise" || draft.sections.length < 2) return draft;
      const follows = Object.fromEntries(draft.sections.map((section) => [section, section !== OVERALL]));
      return withFollowers({ ...draft, follows });
    }
    case "confirmUnchanged":
      return { ...draft, confirmingUnchanged: true };
  }
}

function withActive(draft: Draft, index: number): Draft {
  const active = Math.max(0, Math.min(draft.sections.length - 1, index));
  return active === draft.active ? draft : { ...draft, active };
}

/** Set one section's pick: the overall pick carries over to the criteria that follow it, and
 * a criterion picked on its own stops following. */
function setPick(draft: Draft, index: number, pick: PairwisePick): Draft {
  const section = draft.sections[index];
  const next = { ...draft, active: index, picks: { ...draft.picks, [section]: pick } };
  if (section === OVERALL) return withFollowers(next);
  return { ...next, follows: { ...draft.follows, [section]: false } };
}

function withFollowers(draft: Draft): Draft {
  const picks = { ...draft.picks };
  for (const section of draft.sections) if (draft.follows[section]) picks[section] = { ...picks[OVERALL] };
  return { ...draft, picks };
}

function setOrder(draft: Draft, section: string, order: Letter[]): Draft {
  return {
    ...draft,
    orders: { ...draft.orders, [section]: order },
    touched: { ...draft.touched, [section]: true },
  };
}

/** Once the section at `index` is complete, move on to the next one still to look at: an
 * incomplete one, or a criterion that follows the overall pick (Enter submits it as it is). */
function advance(draft: Draft, index: number): Draft {
  const { scaleSize } = draft.config;
  if (!isPickComplete(draft.picks[draft.sections[index]], scaleSize)) return draft;
  const count = draft.sections.length;
  for (let step = 1; step < count; step += 1) {
    const candidate = (index + step) % count;
    const section = draft.sections[candidate];
    const unseen = candidate > index && draft.follows[section];
    if (unseen || !isPickComplete(draft.picks[section], scaleSize)) return { ...draft, active: candidate };
  }
  return draft;
}

export type SubmitCheck =
  | { status: "ok" }
  | { status: "missing"; problems: string[]; section: number }
  | { status: "confirm"; sections: string[] };

/** Whether the draft can be sent: what is missing, or a ranking left as presented. */
export function checkSubmit(draft: Draft): SubmitCheck {
  if (draft.config.taskType === "pairwise") {
    const problems: string[] = [];
    let first = -1;
    draft.sections.forEach((section, index) => {
      if (draft.follows[section]) return; // its problem is the overall pick's
      const pick = draft.picks[section];
      const label = sectionLabel(section);
      if (pick.winner === null) problems.push(`${label}: choose a response${draft.config.allowTies ? " or tie" : ""}`);
      else if (!isPickComplete(pick, draft.config.scaleSize)) problems.push(`${label}: how much better?`);
      else return;
      if (first < 0) first = index;
    });
    return problems.length ? { status: "missing", problems, section: first } : { status: "ok" };
  }
  const untouched = draft.sections.filter((section) => !draft.touched[section]);
  if (untouched.length && !draft.confirmingUnchanged) return { status: "confirm", sections: untouched };
  return { status: "ok" };
}

function pairwiseResult(pick: PairwisePick): PairwiseResult {
  const winner = pick.winner as PairwiseWinner;
  return { winner, strength: winner === "tie" ? null : pick.strength };
}

/** The POST /api/judgments/ body for a draft that passed checkSubmit. */
export function toJudgment(
  draft: Draft,
  meta: { comparison: number; time_spent_ms: number; client_key: string },
): JudgmentCreate {
  const pairwise = draft.config.taskType === "pairwise";
  const criteria: Record<string, PairwiseResult | RankingResult> = {};
  for (const criterion of draft.config.criteria) {
    criteria[criterion] = pairwise
      ? pairwiseResult(draft.picks[criterion])
      : { ranking: [...draft.orders[criterion]] };
  }
  const result = pairwise
    ? pairwiseResult(draft.picks[OVERALL])
    : { ranking: [...draft.orders[OVERALL]] };
  return {
    comparison: meta.comparison,
    ...result,
    criteria,
    rationale: draft.rationale.trim(),
    time_spent_ms: Math.max(0, Math.round(meta.time_spent_ms)),
    client_key: meta.client_key,
  };
}

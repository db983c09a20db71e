import type { ComponentChildren } from "preact";
import { Kbd } from "../../components/Kbd";
import { type Draft, type DraftAction, isVerdictComplete, criterionLabel } from "../../logic/draft";
import type { Letter, PairwiseWinner, Project } from "../../types";
import { RankingStrip } from "./RankingStrip";

interface Props {
  project: Project;
  draft: Draft;
  snippets: Record<Letter, string>;
  dispatch: (action: DraftAction) => void;
  status: ComponentChildren;
  children: ComponentChildren;
}

/** The bottom dock: one row per criterion (overall first, then the project's), then the actions. */
export function DecisionDock({ project, draft, snippets, dispatch, status, children }: Props) {
  return (
    // A landmark of its own (the verdict is not part of the comparison in <main>): a screen reader
    // jumps straight to it. Where focus goes when the control that had it is gone (useKeptFocus).
    <section class="dock" aria-label="Verdict" tabIndex={-1} data-focus-fallback data-testid="dock">
      <div class="dock-status">{status}</div>
      <div class="dock-main">
        <div class="dock-criteria">
          {draft.criteria.map((criterion, index) => (
            <CriterionRow key={criterion} project={project} draft={draft} snippets={snippets} dispatch={dispatch} index={index} />
          ))}
        </div>
        {children}
      </div>
    </section>
  );
}

type RowProps = Omit<Props, "status" | "children"> & { index: number };

/** One criterion's verdict: a ranking strip, a scale, or one line while it follows the overall verdict. */
function CriterionRow({ project, draft, snippets, dispatch, index }: RowProps) {
  const criterion = draft.criteria[index];
  const ranking = draft.config.comparisonKind === "ranking";
  const active = index === draft.active;
  const follows = !ranking && draft.follows[criterion];
  return (
    <div
      class={`dock-row${active && draft.criteria.length > 1 ? " is-active" : ""}${follows ? " follows" : ""}`}
      data-criterion={criterion}
      onPointerDown={() => !active && dispatch({ type: "criterion", index })}
    >
      <div class="dock-row-label">
        {criterionLabel(criterion)}
        {!ranking && isVerdictComplete(draft.verdicts[criterion], draft.config.scaleSize) && (
          <span class="row-done" aria-label="done">✓</span>
        )}
      </div>
      {ranking ? (
        <RankingStrip
          order={draft.rankings[criterion]}
          selected={draft.selected}
          snippets={snippets}
          active={active}
          onSelect={(letter) => dispatch({ type: "rankSelect", letter, criterion: index })}
          onReorder={(from, to) => dispatch({ type: "rankReorder", criterion: index, from, to })}
          tied={draft.tied[criterion]}
          onTie={draft.config.allowTies ? (letter) => dispatch({ type: "rankTie", letter, criterion: index }) : undefined}
        />
      ) : follows ? (
        <FollowingSummary project={project} draft={draft} onChange={() => dispatch({ type: "detach", criterion: index })} testId={`change-${index}`} />
      ) : (
        <PairwiseScale project={project} draft={draft} index={index} dispatch={dispatch} showKeys={active} />
      )}
    </div>
  );
}

interface SummaryProps {
  project: Project;
  draft: Draft;
  onChange: () => void;
  testId: string;
}

/** A criterion that follows the overall verdict shows it in one line (its scale opens on Change,
 * or once a key chooses on it), so the dock stays short until a criterion differs. */
function FollowingSummary({ project, draft, onChange, testId }: SummaryProps) {
  const { winner, strength } = draft.verdicts[draft.criteria[0]];
  const verdict =
    winner === null ? "no verdict yet"
    : winner === "tie" ? "tie"
    : `${winner.toUpperCase()}${strength ? `, ${project.strength_scale[strength - 1]}` : ""}`;
  return (
    <div class="follow-summary" data-testid="follows-overall">
      <span class="follow-verdict">as overall: <strong>{verdict}</strong></span>
      <button type="button" class="btn btn-ghost btn-sm" onClick={onChange} data-testid={testId}>Change</button>
    </div>
  );
}

interface ScaleProps {
  project: Project;
  draft: Draft;
  index: number;
  dispatch: (action: DraftAction) => void;
  showKeys: boolean;
}

type Choose = (target: PairwiseWinner, strength?: number) => void;

/** A symmetric scale: A much better … slightly better | tie | B slightly better … much better. */
function PairwiseScale({ project, draft, index, dispatch, showKeys }: ScaleProps) {
  const verdict = draft.verdicts[draft.criteria[index]];
  const choose: Choose = (target, strength) => {
    dispatch({ type: "choose", target, criterion: index });
    if (strength) dispatch({ type: "strength", value: strength, criterion: index });
  };
  const side = (letter: "a" | "b") => (
    <ScaleSide letter={letter} scale={project.strength_scale} verdict={verdict} index={index} showKeys={showKeys} choose={choose} />
  );
  return (
    <div class="scale" role="group" aria-label={`${criterionLabel(draft.criteria[index])}: which is better?`}>
      {side("a")}
      {project.allow_ties && (
        <button
          type="button"
          class={`scale-cell scale-tie${verdict.winner === "tie" ? " is-on" : ""}`}
          aria-pressed={verdict.winner === "tie"}
          aria-keyshortcuts={showKeys ? "T" : undefined}
          data-testid={`choose-${index}-tie`}
          onClick={() => choose("tie")}
        >
          <span class="scale-label">tie</span>
          {showKeys && <Kbd k="T" />}
        </button>
      )}
      {side("b")}
    </div>
  );
}

interface SideProps {
  letter: "a" | "b";
  scale: string[];
  verdict: Draft["verdicts"][string];
  index: number;
  showKeys: boolean;
  choose: Choose;
}

/** One response's half of the scale: its letter, then its strengths growing away from the middle. */
function ScaleSide({ letter, scale, verdict, index, showKeys, choose }: SideProps) {
  const strengths = scale.map((_, i) => i + 1);
  const cells = (letter === "a" ? [...strengths].reverse() : strengths).map((strength) => {
    const on = verdict.winner === letter && verdict.strength === strength;
    return (
      <button
        key={strength}
        type="button"
        class={`scale-cell side-${letter}${on ? " is-on" : ""}`}
        aria-pressed={on}
        data-testid={`scale-${index}-${letter}-${strength}`}
        style={{ "--strength": strength }}
        onClick={() => choose(letter, strength)}
      >
        {/* The label alone reads the same on both halves ("slightly better"): the side is named, in
            text rather than aria-label, so that the name holds the words shown (speech input). */}
        <span class="visually-hidden">{letter.toUpperCase()} </span>
        <span class="scale-label">{scale[strength - 1]}</span>
        <span class="scale-digit" aria-hidden="true">{strength}</span>
        {showKeys && <Kbd k={String(strength)} />}
      </button>
    );
  });
  const chosen = verdict.winner === letter;
  const badge = (
    <button
      type="button"
      class={`scale-letter letter-${letter}${chosen ? " is-on" : ""}${chosen && !verdict.strength && scale.length ? " needs-strength" : ""}`}
      aria-pressed={chosen}
      aria-label={`${letter.toUpperCase()} is better`} /* "is better" shows on phones only */
      aria-keyshortcuts={showKeys ? letter.toUpperCase() : undefined}
      title={`${letter.toUpperCase()} is better`}
      data-testid={`choose-${index}-${letter}`}
      onClick={() => choose(letter)}
    >
      <span class={`letter letter-${letter}`}>{letter.toUpperCase()}</span>
      <span class="scale-letter-text">is better</span>
    </button>
  );
  return <div class={`scale-side side-${letter}${chosen ? " is-chosen" : ""}`}>{letter === "a" ? [badge, ...cells] : [...cells, badge]}</div>;
}

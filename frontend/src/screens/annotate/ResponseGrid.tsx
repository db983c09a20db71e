import { ResponseText } from "../../components/Markdown";
import { OVERALL } from "../../generated/constants";
import type { Draft } from "../../logic/draft";
import { ordinal, rankNumbers } from "../../logic/ranking";
import type { Letter, ComparisonResponse } from "../../types";

interface Props {
  responses: ComparisonResponse[];
  /** The project's strength labels, weakest first. */
  scale: string[];
  draft: Draft;
  onCardClick: (letter: Letter) => void;
}

/** The K responses side by side (stacked on narrow screens), each marked with its current verdict. */
export function ResponseGrid({ responses, scale, draft, onCardClick }: Props) {
  const ranking = draft.config.comparisonKind === "ranking";
  return (
    <section class={`responses k${Math.min(responses.length, 4)}`} aria-label="Responses" data-testid="responses">
      {responses.map((response) => {
        const tag = ranking ? rankTag(draft, response.letter) : verdictTag(draft, response.letter, scale);
        const selected = ranking && draft.selected === response.letter;
        return (
          <article
            key={response.letter}
            class={`response letter-${response.letter}${tag.state ? ` is-${tag.state}` : ""}${selected ? " is-selected" : ""}`}
            data-letter={response.letter}
            data-testid={`response-${response.letter}`}
          >
            <header class="response-head">
              {/* A heading per response: a screen reader goes from one to the next (H), past long code. */}
              <h2 class="response-heading">
                <button
                  class="response-choose"
                  onClick={() => onCardClick(response.letter)}
                  title={ranking ? `Select response ${response.letter.toUpperCase()}` : `Response ${response.letter.toUpperCase()} is better`}
                >
                  <span class={`letter letter-${response.letter}`} aria-hidden="true">{response.letter.toUpperCase()}</span>
                  <span class="response-title">Response {response.letter.toUpperCase()}</span>
                </button>
              </h2>
              {tag.text && <span class={`response-tag tag-${tag.state}`}>{tag.text}</span>}
            </header>
            <ResponseText text={response.text} class="response-body" emptyTestId={`response-empty-${response.letter}`} />
          </article>
        );
      })}
    </section>
  );
}

function rankTag(draft: Draft, letter: Letter): { text: string; state: string } {
  const order = draft.rankings[OVERALL];
  const tied = draft.tied[OVERALL];
  const rank = rankNumbers(order, tied)[order.indexOf(letter)];
  if (!draft.touched[OVERALL]) return { text: `${ordinal(rank)}?`, state: "" };
  const equal = tied.includes(letter) || tied.includes(order[order.indexOf(letter) + 1]);
  return { text: `${equal ? "=" : ""}${ordinal(rank)}`, state: rank === 1 ? "best" : "ranked" };
}

function verdictTag(draft: Draft, letter: Letter, scale: string[]): { text: string; state: string } {
  const verdict = draft.verdicts[OVERALL];
  if (verdict.winner === "tie") return { text: "Tie", state: "tie" };
  if (verdict.winner === letter) {
    const label = verdict.strength ? scale[verdict.strength - 1] : "";
    return { text: label ? label.charAt(0).toUpperCase() + label.slice(1) : "Better", state: "winner" };
  }
  return { text: "", state: verdict.winner ? "loser" : "" };
}

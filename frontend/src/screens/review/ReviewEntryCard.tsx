import { useState } from "preact/hooks";
import { Markdown, ResponseText } from "../../components/Markdown";
import { ago, duration } from "../../logic/format";
import { agreementText, chosenLetters, verdictText } from "../../logic/reviewQuery";
import type { Project, ReviewDecision, ReviewEntry } from "../../types";

type Decide = (entry: ReviewEntry, decision: ReviewDecision) => Promise<boolean>;

/** One judgment as its annotator gave it, with the comparison they saw and the review controls. */
export function ReviewEntryCard({ entry, project, decide }: { entry: ReviewEntry; project: Project; decide: Decide }) {
  const chosen = chosenLetters(entry);
  return (
    <article class={`card review-entry review-${entry.review || "open"}`} data-testid="review-entry" data-judgment={entry.id} data-comparison={entry.comparison.id}>
      <EntryHead entry={entry} />
      <div class="review-prompt">
        {entry.comparison.prompt.messages.map((message, i) => (
          <div key={i} class={`review-turn review-turn-${message.role}`}>
            <span class="review-turn-role">{message.role}</span>
            <Markdown text={message.content} />
          </div>
        ))}
      </div>
      <div class="review-responses">
        {entry.comparison.responses.map((response) => (
          <section key={response.letter} class={`review-response${chosen.includes(response.letter) ? " is-chosen" : ""}`}>
            <header class="review-letter">{response.letter.toUpperCase()}</header>
            <ResponseText text={response.text} emptyTestId={`review-response-empty-${response.letter}`} />
          </section>
        ))}
      </div>
      <EntryVerdict entry={entry} project={project} />
      <ReviewControls entry={entry} decide={decide} />
    </article>
  );
}

function EntryHead({ entry }: { entry: ReviewEntry }) {
  return (
    <header class="card-head review-head">
      <h2>
        {entry.annotator}
        {entry.by_judge && <span class="chip judge-chip" title="A model labelling comparisons, not a person">judge</span>}
      </h2>
      <span class="card-note">{ago(entry.created_at)} · {duration(entry.time_spent_ms / 1000)} spent</span>
      <span class="chips">
        <span class={`chip${entry.agreeing * 2 < entry.others ? " reason-both_bad" : ""}`}>{agreementText(entry.others, entry.agreeing)}</span>
        {entry.flags > 0 && <span class="chip reason-unsafe">{entry.flags} flag{entry.flags === 1 ? "" : "s"}</span>}
        {entry.comparison.is_gold && (
          <span class={`chip${entry.wrong_on_gold ? " reason-unsafe" : ""}`}>{entry.wrong_on_gold ? "wrong on gold" : "gold, right"}</span>
        )}
      </span>
    </header>
  );
}

function EntryVerdict({ entry, project }: { entry: ReviewEntry; project: Project }) {
  const criteria = Object.entries(entry.criteria);
  return (
    <dl class="review-verdict">
      <dt>Verdict</dt>
      <dd data-testid="review-verdict">{verdictText(entry, project.strength_scale)}</dd>
      {entry.comparison.gold_answer && (
        <>
          <dt>Gold answer</dt>
          <dd>{verdictText({ winner: entry.comparison.gold_answer.winner ?? "", strength: null, ranking: entry.comparison.gold_answer.ranking ?? null }, [])}</dd>
        </>
      )}
      {criteria.map(([name, verdict]) => (
        <>
          <dt key={name}>{name}</dt>
          <dd>{verdictText({ winner: "", strength: null, ranking: null, ...verdict }, project.strength_scale)}</dd>
        </>
      ))}
      {entry.rationale && (
        <>
          <dt>Rationale</dt>
          <dd class="review-rationale" dir="auto">{entry.rationale}</dd>
        </>
      )}
    </dl>
  );
}

function ReviewControls({ entry, decide }: { entry: ReviewEntry; decide: Decide }) {
  const [rejecting, setRejecting] = useState(false);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const send = async (decision: ReviewDecision) => {
    setBusy(true);
    if (await decide(entry, decision)) setRejecting(false);
    setBusy(false);
  };
  if (entry.review === "rejected") {
    return (
      <p class="review-outcome" data-testid="review-state">
        Rejected by {entry.reviewed_by ?? "someone"} {ago(entry.reviewed_at)}: <em>{entry.review_note}</em>
      </p>
    );
  }
  return (
    <div class="review-controls">
      {entry.review === "accepted" && (
        <span class="badge badge-ok" data-testid="review-state">Accepted by {entry.reviewed_by ?? "someone"}</span>
      )}
      {entry.review !== "accepted" && (
        <button class="btn btn-primary" disabled={busy} onClick={() => send({ review: "accepted", note: "" })} data-testid="review-accept">
          Accept
        </button>
      )}
      {!rejecting ? (
        <button class="btn" disabled={busy} onClick={() => setRejecting(true)} data-testid="review-reject">Reject…</button>
      ) : (
        <form class="review-reject-form" onSubmit={(e) => (e.preventDefault(), send({ review: "rejected", note }))}>
          <label class="field">
            <span>Why (the annotator sees this)</span>
            <textarea rows={2} value={note} onInput={(e) => setNote((e.currentTarget as HTMLTextAreaElement).value)} data-testid="review-note" />
          </label>
          <button class="btn btn-primary" type="submit" disabled={busy || !note.trim()} data-testid="review-confirm-reject">Reject</button>
          <button class="btn btn-ghost" type="button" onClick={() => setRejecting(false)}>Cancel</button>
        </form>
      )}
    </div>
  );
}

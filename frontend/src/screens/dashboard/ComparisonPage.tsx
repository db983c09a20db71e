import { getComparison, resolveFlag } from "../../api";
import { Markdown, ResponseText } from "../../components/Markdown";
import { criterionVerdicts, goldFromJudgment, judgedBy, judgmentTally, reviewText } from "../../logic/comparisonDetail";
import { ago, duration } from "../../logic/format";
import { verdictText } from "../../logic/reviewQuery";
import { hrefFor } from "../../router";
import type { ComparisonDetail, ComparisonFlag, ComparisonJudgment, GoldAnswer, Project } from "../../types";
import "../../styles/review.css";
import { comparisonListReturn } from "./ComparisonBrowser";
import { GoldControl, useGold } from "./GoldControl";
import { REASON_LABELS, useResolve } from "./OpenFlags";
import { usePolled } from "./usePolled";

/** One comparison whole, opened from a flag, the comparison list (then "back" returns to the list as it
 * was filtered) or an annotator's fastest judgments: the prompt, each
 * response with its model, every judgment (a judge's marked) and the flags, resolvable here.
 * Prompts and responses are model or user text: Markdown renders them escaped; the rest is JSX text. */
export function ComparisonPage({ project, comparisonId }: { project: Project; comparisonId: number }) {
  const [loaded, reload] = usePolled(() => getComparison(project.id, comparisonId), null, [project.id, comparisonId]);
  const fromList = comparisonListReturn(project.id, comparisonId);
  return (
    <div class="dash-stack" data-testid="comparison-page" data-comparison={comparisonId}>
      {fromList ? (
        <a class="btn btn-ghost btn-sm back-link" href={fromList} data-nav data-testid="comparison-back-to-list">
          ← Comparisons
        </a>
      ) : (
        <a class="btn btn-ghost btn-sm back-link" href={hrefFor({ name: "dashboard", projectId: project.id, tab: "overview" })} data-nav>
          ← Overview
        </a>
      )}
      {loaded.state === "loading" && <div class="skeleton" style={{ height: "200px" }} />}
      {loaded.state === "error" && (
        <div class="error-box">{loaded.status === 404 ? `No comparison #${comparisonId} in this project.` : loaded.message}</div>
      )}
      {loaded.state === "ready" && <ComparisonWhole comparison={loaded.data} project={project} reload={reload} />}
    </div>
  );
}

function ComparisonWhole({ comparison, project, reload }: { comparison: ComparisonDetail; project: Project; reload: () => void }) {
  const tally = judgmentTally(comparison);
  const gold = useGold(project, comparison, reload);
  return (
    <>
      <section class="card">
        <header class="card-head">
          <h2>Comparison #{comparison.id}</h2>
          <span class="card-note">
            {tally.people} {tally.people === 1 ? "person's judgment" : "people's judgments"} · {tally.judges} by judges
            {tally.rejected > 0 && ` · ${tally.rejected} rejected`} · {comparison.is_open ? "open" : "closed"}
          </span>
        </header>
        <GoldControl project={project} comparison={comparison} gold={gold} />
        <FlagList flags={comparison.flags} reload={reload} />
        <div class="review-prompt" data-testid="comparison-prompt">
          {comparison.prompt.messages.map((message, i) => (
            <div key={i} class={`review-turn review-turn-${message.role}`}>
              <span class="review-turn-role">{message.role}</span>
              <Markdown text={message.content} />
            </div>
          ))}
        </div>
        <div class="review-responses">
          {comparison.responses.map((response) => (
            <section key={response.letter} class="review-response" data-testid={`comparison-response-${response.letter}`}>
              <header class="review-letter">
                {response.letter.toUpperCase()} <span class="muted small" data-testid="response-model">{response.model_name || "unknown model"}</span>
              </header>
              <ResponseText text={response.text} emptyTestId={`comparison-response-empty-${response.letter}`} />
            </section>
          ))}
        </div>
      </section>
      <section class="card">
        <header class="card-head">
          <h2>Judgments</h2>
          <span class="card-note">Oldest first; rejected ones count nowhere but stay listed</span>
        </header>
        {comparison.judgments.length === 0 ? (
          <p class="muted pending-note">Nobody has judged it yet.</p>
        ) : (
          <JudgmentTable
            judgments={comparison.judgments}
            scale={project.strength_scale}
            makeGold={comparison.is_gold || gold.busy ? null : gold.make}
          />
        )}
      </section>
    </>
  );
}

/** ``makeGold``: offered beside each verdict that can be a gold answer; null while gold. */
function JudgmentTable({ judgments, scale, makeGold }: {
  judgments: ComparisonJudgment[];
  scale: string[];
  makeGold: ((answer: GoldAnswer) => void) | null;
}) {
  return (
    <div class="table-scroll">
      <table class="data-table" data-testid="comparison-judgments">
        <thead>
          <tr>
            <th>By</th>
            <th>Verdict</th>
            <th>Criteria</th>
            <th>Rationale</th>
            <th class="num">Time</th>
            <th>Review</th>
          </tr>
        </thead>
        <tbody>
          {judgments.map((j) => (
            <tr key={j.id} class={j.review === "rejected" ? "is-rejected muted" : ""} data-testid={`comparison-judgment-${j.id}`} data-by-judge={j.by_judge ? "1" : "0"}>
              <td>
                {judgedBy(j)}{" "}
                {j.by_judge && <span class="chip judge-chip" title="A model labelling comparisons, not a person" data-testid="judge-mark">judge</span>}
                <div class="muted small">{ago(j.created_at)}</div>
              </td>
              <td>
                <span data-testid="judgment-verdict">{verdictText(j, scale)}</span>
                <MakeGold answer={goldFromJudgment(j)} makeGold={makeGold} />
              </td>
              <td class="small">
                {criterionVerdicts(j, scale).map(([name, words]) => <div key={name}>{name}: {words}</div>)}
              </td>
              <td class="small review-rationale" dir="auto">{j.rationale}</td>
              <td class="num">{j.by_judge ? "—" : duration(j.time_spent_ms / 1000)}</td>
              <td class="small" data-testid="judgment-review">{reviewText(j)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function MakeGold({ answer, makeGold }: { answer: GoldAnswer | null; makeGold: ((answer: GoldAnswer) => void) | null }) {
  if (!answer || !makeGold) return null;
  return (
    <button class="btn btn-ghost btn-sm make-gold" type="button" title="Make this verdict the comparison's gold answer" onClick={() => makeGold(answer)} data-testid="judgment-make-gold">
      Make gold
    </button>
  );
}

function FlagList({ flags, reload }: { flags: ComparisonFlag[]; reload: () => void }) {
  const { busy, error, resolve } = useResolve((flagId) => resolveFlag(flagId).then(reload));
  if (flags.length === 0) return null;
  return (
    <>
      {error && <div class="error-box" role="alert">{error}</div>}
      <ul class="flag-list" data-testid="comparison-flags">
        {flags.map((flag) => (
          <li key={flag.id} class="flag-item" data-testid={`comparison-flag-${flag.id}`}>
            <span class={`chip reason-${flag.reason}`}>{REASON_LABELS[flag.reason] ?? flag.reason}</span>
            <div class="flag-main">{flag.note ? <div class="flagged-note" dir="auto">“{flag.note}”</div> : <span class="muted">no note</span>}</div>
            <div class="flag-meta">
              <span>{flag.annotator} · {ago(flag.created_at)}</span>
              {flag.resolved ? (
                <span class="badge badge-ok" data-testid="flag-resolved">resolved{flag.resolved_by ? ` by ${flag.resolved_by}` : ""}</span>
              ) : (
                <button class="btn btn-sm" type="button" disabled={busy !== null} onClick={() => resolve(flag.id)} data-testid={`comparison-flag-resolve-${flag.id}`}>
                  {busy === flag.id ? "Resolving…" : "Resolve"}
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}

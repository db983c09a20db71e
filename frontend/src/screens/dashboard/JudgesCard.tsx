import { count, fixed, percent } from "../../logic/format";
import type { JudgeFigures, JudgeStats, VerdictShare } from "../../types";

const KIND_LABELS: Record<JudgeStats["kind"], string> = {
  reward_model: "reward model",
  causal_lm: "causal LM",
  endpoint: "endpoint",
};

/** Each judge (a model labelling comparisons) against the humans: its agreement with their
 * majority beside the humans' own agreement (the ceiling), and its position and length bias
 * beside theirs. Judges' verdicts count nowhere else: not in agreement, annotators or ratings. */
export function JudgesCard({ judges }: { judges: JudgeStats[] }) {
  return (
    <section class="card" data-testid="judges-card">
      <header class="card-head">
        <h2>Judges</h2>
        <span class="card-note">
          Models labelling comparisons, measured against people on the comparisons both judged; their verdicts count in no other figure here
        </span>
      </header>
      <div class="table-scroll">
        <table class="data-table judges-table" data-testid="judges-table">
          <thead>
            <tr>
              <th>Judge</th>
              <th class="num">Judgments</th>
              <th class="num" title="Share of verdicts equal to the human majority (95% interval)">Agrees with people</th>
              <th class="num" title="Each person against the majority of the others, on the same comparisons">People with each other</th>
              <th class="num" title="Cohen's kappa against the human majority; beside it the people's own">Kappa (people's)</th>
              <th class="num" title="Share of decisive verdicts for response A: the judge's, then the people's">A wins (people)</th>
              <th class="num" title="Share of decisive verdicts for the longer response: the judge's, then the people's">Longer wins (people)</th>
            </tr>
          </thead>
          <tbody>
            {judges.map((judge) => <JudgeRow key={judge.annotator} judge={judge} />)}
          </tbody>
        </table>
      </div>
      <CriteriaNote judges={judges} />
    </section>
  );
}

function JudgeRow({ judge }: { judge: JudgeStats }) {
  const agreement = judge.agreement_with_humans;
  const ceiling = agreement.human_ceiling;
  const above = agreement.raw !== null && ceiling.raw !== null && agreement.raw >= ceiling.raw;
  return (
    <tr data-testid={`judge-${judge.name}`}>
      <td class="annotator-name">
        {judge.name} <span class="badge" title="A model, not a person">judge · {KIND_LABELS[judge.kind] ?? judge.kind}</span>
      </td>
      <td class="num">{count(judge.count)}</td>
      <td class="num" data-testid="judge-agreement">
        <Figure figures={agreement} />
        {above && <div class="tag-ok small">at the people's level</div>}
      </td>
      <td class="num" data-testid="judge-ceiling">
        <Figure figures={ceiling} />
      </td>
      <td class="num">
        {fixed(agreement.kappa)} <span class="muted small">({fixed(ceiling.kappa)})</span>
      </td>
      <td class="num"><Bias pair={judge.position_bias} /></td>
      <td class="num"><Bias pair={judge.length_bias} /></td>
    </tr>
  );
}

function Figure({ figures }: { figures: JudgeFigures }) {
  if (figures.raw === null) return <span class="muted" title={figures.reason ?? ""}>—</span>;
  return (
    <>
      <strong>{percent(figures.raw)}</strong>
      {figures.raw_ci && <span class="muted small"> {percent(figures.raw_ci[0])}–{percent(figures.raw_ci[1])}</span>}
      <span class="muted small"> n={count(figures.n)}</span>
    </>
  );
}

function Bias({ pair }: { pair: { judge: VerdictShare; humans: VerdictShare } }) {
  const title = `judge ${pair.judge.n} decisive verdicts, people ${pair.humans.n}`;
  return (
    <span title={title}>
      {percent(pair.judge.share)} <span class="muted small">({percent(pair.humans.share)})</span>
    </span>
  );
}

function CriteriaNote({ judges }: { judges: JudgeStats[] }) {
  const rows = judges.flatMap((judge) =>
    Object.entries(judge.agreement_with_humans.criteria).map(([name, figures]) => ({ judge: judge.name, name, figures })),
  );
  if (rows.length === 0) return null;
  return (
    <p class="footnote muted" data-testid="judge-criteria">
      Per criterion (judge against people, people with each other):{" "}
      {rows.map((row, i) => (
        <span key={`${row.judge}-${row.name}`}>
          {i > 0 && "; "}
          {row.judge} on {row.name} {percent(row.figures.raw)} vs {percent(row.figures.human_ceiling.raw)}
        </span>
      ))}
    </p>
  );
}

import { IntervalGauge } from "../../../components/charts/IntervalGauge";
import { ReliabilityDiagram } from "../../../components/charts/ReliabilityDiagram";
import { count, fixed, interval, percent } from "../../../logic/format";
import { calibrationVerdict, chanceVerdict, groupRows, lengthVerdict } from "../../../logic/rewardReport";
import type { AccuracySummary, RewardReport } from "../../../types";

const CHANCE_NOTE = {
  above: "above chance",
  below: "below chance",
  unclear: "not clearly above chance",
  none: "no pairs",
};

/** One accuracy as a row: its name, the figure with its 95% interval and pairs, and a gauge. */
function AccuracyRow({ name, hint, summary, testId }: { name: string; hint?: string; summary: AccuracySummary; testId: string }) {
  const verdict = chanceVerdict(summary);
  return (
    <div class="figure-row" data-testid={testId}>
      <div class="figure-name">
        {name}
        {hint && <span class="muted">{hint}</span>}
      </div>
      <div class="figure-value">
        <strong>{percent(summary.accuracy, 1)}</strong>
        <span class="muted">
          95% CI {interval(summary.interval[0], summary.interval[1])} · n={count(summary.count)}
        </span>
        <span class={`muted report-chance is-${verdict}`}>{CHANCE_NOTE[verdict]}</span>
      </div>
      <IntervalGauge label={name} value={summary.accuracy} low={summary.interval[0]} high={summary.interval[1]} marks={[0.5]} />
    </div>
  );
}

/** Accuracy overall and per criterion, subset, source or label source, each with its interval. */
export function AccuracyCard({ report }: { report: RewardReport }) {
  const rows = groupRows(report.groups);
  const sections = Object.entries(report.rewardbench_sections ?? {});
  return (
    <section class="card" data-testid="report-accuracy">
      <header class="card-head">
        <h2>Accuracy</h2>
        <span class="card-note">Share of pairs where the chosen response scores higher; 95% Wilson intervals</span>
      </header>
      <div class="figure-list">
        <AccuracyRow name="Overall" hint={`mean margin ${fixed(report.mean_margin, 3)}`} summary={report.overall} testId="report-overall" />
        {rows.map((row) => (
          <AccuracyRow key={`${row.grouping}:${row.value}`} name={row.value} hint={row.label} summary={row.summary}
            testId={`report-group-${row.grouping}-${row.value}`} />
        ))}
      </div>
      {rows.length === 0 && <p class="muted pending-note">The pairs name no criterion, source or subset: no breakdown.</p>}
      {sections.length > 0 && (
        <p class="muted" data-testid="report-rewardbench">
          RewardBench sections: {sections.map(([name, entry]) => `${name} ${percent(entry.score, 1)}`).join(" · ")}
        </p>
      )}
    </section>
  );
}

/** The reliability diagram and the expected calibration error. */
export function CalibrationCard({ report }: { report: RewardReport }) {
  const { ece, bins } = report.calibration;
  return (
    <section class="card" data-testid="report-calibration">
      <header class="card-head">
        <h2>Calibration</h2>
        <span class="card-note">σ(margin) read as the model's confidence that it is right, against how often it is</span>
      </header>
      <div class="report-calibration">
        <ReliabilityDiagram bins={bins} ece={ece} />
        <div class="figure-value">
          <span class="muted">Expected calibration error</span>
          <strong data-testid="report-ece">{percent(ece, 1)}</strong>
          <span class="muted">{calibrationVerdict(ece, bins)}</span>
          <span class="muted small">Bars under the diagonal: more confident than right.</span>
        </div>
      </div>
    </section>
  );
}

/** Does the score follow length? The correlation of margin and length difference, and accuracy
 * where people chose the longer response against where they chose the shorter. */
export function LengthBiasCard({ report }: { report: RewardReport }) {
  const bias = report.length_bias;
  return (
    <section class="card" data-testid="report-length">
      <header class="card-head">
        <h2>Length bias</h2>
        <span class="card-note">Lengths in characters; a model that learnt "longer is better" is right only where people chose the longer</span>
      </header>
      <p class="report-verdict" data-testid="report-length-verdict">{lengthVerdict(bias)}</p>
      <div class="report-figures">
        <div class="figure-value" data-testid="report-length-correlation">
          <span class="muted">Correlation of margin and length difference</span>
          <strong>{fixed(bias.margin_length_correlation)}</strong>
        </div>
        <div class="figure-value" data-testid="report-prefers-longer">
          <span class="muted">Pairs where it scores the longer response higher</span>
          <strong>{percent(bias.prefers_longer, 1)}</strong>
        </div>
      </div>
      <div class="figure-list">
        <AccuracyRow name="Longer chosen" hint="people chose the longer response" summary={bias.longer_chosen} testId="report-longer-chosen" />
        <AccuracyRow name="Shorter chosen" hint="people chose the shorter response" summary={bias.shorter_chosen} testId="report-shorter-chosen" />
      </div>
    </section>
  );
}

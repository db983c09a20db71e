import { IntervalGauge } from "../../components/charts/IntervalGauge";
import { count, fixed, interval, percent } from "../../logic/format";
import type { AgreementBlock, AgreementFigures } from "../../types";

interface Figure {
  key: keyof AgreementBlock;
  name: string;
  hint: string;
  marks?: number[];
  share?: boolean;
}

// Krippendorff: alpha >= 0.8 reliable, >= 0.667 for tentative conclusions.
const FIGURES: Figure[] = [
  { key: "krippendorff_alpha", name: "Krippendorff's α", hint: "≥ 0.8 reliable, ≥ 0.667 tentative", marks: [0.667, 0.8] },
  { key: "fleiss_kappa", name: "Fleiss' κ", hint: "chance-corrected, equal raters per comparison", marks: [0.4, 0.6, 0.8] },
  { key: "cohen_kappa_mean", name: "Cohen's κ (mean)", hint: "over annotator pairs, weighted by comparisons shared", marks: [0.4, 0.6, 0.8] },
  { key: "percent_agreement", name: "Raw agreement", hint: "pairs of judgments that agree", share: true },
];

/** The agreement figures as gauges (α with its 95 % interval), and per criterion. */
export function AgreementPanel({ agreement }: { agreement: AgreementBlock }) {
  const criteria = Object.entries(agreement.criteria ?? {});
  return (
    <div class="agreement" data-testid="agreement">
      <div class="agreement-scope muted">
        {count(agreement.n_units)} {agreement.unit}s judged by two or more of {agreement.n_raters} annotators
      </div>
      {agreement.reason && <p class="reason-note">Not defined yet: {agreement.reason}.</p>}
      <div class="figure-list">
        {FIGURES.map((figure) => <FigureRow key={figure.key} figure={figure} agreement={agreement} />)}
      </div>
      {criteria.length > 0 && <CriteriaTable criteria={criteria} />}
    </div>
  );
}

function FigureRow({ figure, agreement }: { figure: Figure; agreement: AgreementBlock }) {
  const value = agreement[figure.key] as number | null;
  const ci = figure.key === "krippendorff_alpha" ? agreement.krippendorff_alpha_ci : null;
  return (
    <div class="figure-row">
      <div class="figure-name">
        {figure.name}
        <span class="muted">{figure.hint}</span>
      </div>
      <div class="figure-value">
        <strong>{figure.share ? percent(value, 1) : fixed(value)}</strong>
        {ci && <span class="muted">95% CI {interval(ci[0], ci[1])}</span>}
        {value === null && agreement.reasons[figure.key] && !agreement.reason && (
          <span class="muted">{agreement.reasons[figure.key]}</span>
        )}
      </div>
      <IntervalGauge label={figure.name} value={value} low={ci?.[0] ?? null} high={ci?.[1] ?? null} marks={figure.marks} />
    </div>
  );
}

function CriteriaTable({ criteria }: { criteria: [string, AgreementFigures][] }) {
  return (
    <table class="data-table compact criteria-table">
      <thead>
        <tr>
          <th>Criterion</th>
          <th class="num keep-case">α</th>
          <th class="num">95% CI</th>
          <th class="num">Raw agreement</th>
          <th class="num">Units</th>
        </tr>
      </thead>
      <tbody>
        {criteria.map(([name, block]) => (
          <tr key={name}>
            <td>{name}</td>
            <td class="num">{fixed(block.krippendorff_alpha)}</td>
            <td class="num">{block.krippendorff_alpha_ci ? interval(block.krippendorff_alpha_ci[0], block.krippendorff_alpha_ci[1]) : "—"}</td>
            <td class="num">{percent(block.percent_agreement, 1)}</td>
            <td class="num">{count(block.n_units)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

import { getStats } from "../../api";
import { HeatLegend, Heatmap } from "../../components/charts/Heatmap";
import { type Domain, formatTicks, linear, ticks } from "../../logic/chartScale";
import { ago, count, fixed, percent } from "../../logic/format";
import { type LeaderboardRow, MIN_PAIRS_FOR_RATING, clip, excludedNote, expectedWinRate, leaderboardRows, ratingDomain } from "../../logic/leaderboard";
import type { Project, ProjectStats, Ratings } from "../../types";
import { JudgesCard } from "./JudgesCard";
import { StatsPending } from "./OverviewPage";
import { usePolled } from "./usePolled";

const STATS_EVERY_MS = 30_000;

/** Which model wins: Bradley–Terry with intervals, online Elo and length control beside, and the win-rate heatmap. */
export function LeaderboardPage({ project }: { project: Project }) {
  const [stats] = usePolled(() => getStats(project.id), STATS_EVERY_MS, [project.id]);
  if (stats.state === "error") return <div class="error-box">Could not load the statistics: {stats.message}</div>;
  const data = stats.state === "ready" ? stats.data : null;
  if (!data) {
    return (
      <section class="card">
        <StatsPending loading={stats.state === "loading"} />
      </section>
    );
  }
  const page = <LeaderboardBody data={data} />;
  // Judges beside the leaderboard (never in it): shown even where no model can be rated
  if (!data.judges?.length) return page;
  return (
    <div class="dash-stack">
      {page}
      <JudgesCard judges={data.judges} />
    </div>
  );
}

function LeaderboardBody({ data }: { data: ProjectStats }) {
  const ratings = data.ratings;
  if (data.stale && ratings.bradley_terry.length === 0) {
    return (
      <section class="card empty-card" data-testid="leaderboard-computing">
        <h2>Computing…</h2>
        <p class="muted">New judgments are being counted; the leaderboard appears in a few seconds.</p>
      </section>
    );
  }
  if (ratings.reason || ratings.bradley_terry.length === 0) {
    return (
      <section class="card empty-card" data-testid="leaderboard-empty">
        <h2>No leaderboard yet</h2>
        <p class="muted">{ratings.reason ?? "no judgments between two different models"}. Import responses with their model names and collect judgments.</p>
      </section>
    );
  }
  return <Leaderboard ratings={ratings} computedAt={data.computed_at} />;
}

function Leaderboard({ ratings, computedAt }: { ratings: Ratings; computedAt: string }) {
  const rows = leaderboardRows(ratings);
  return (
    <div class="dash-stack" data-testid="leaderboard">
      <section class="card">
        <header class="card-head">
          <h2>Leaderboard</h2>
          <span class="card-note">
            Bradley–Terry over {count(ratings.n)} model pairs · computed {ago(computedAt)}
          </span>
        </header>
        <Headline rows={rows} />
        <div class="legend chart-key">
          <span class="legend-item"><span class="key-dot" /> Bradley–Terry rating</span>
          <span class="legend-item"><span class="key-band" /> 95% interval</span>
          <span class="legend-item"><span class="key-diamond" /> online Elo</span>
        </div>
        <RatingTable rows={rows} />
        <RatingNotes ratings={ratings} />
      </section>
      <section class="card">
        <header class="card-head">
          <h2>Head to head</h2>
          <span class="card-note">Share of points the row model took from the column model (a tie is half)</span>
        </header>
        <Heatmap models={ratings.win_rate.models} matrix={ratings.win_rate.matrix} />
        <HeatLegend />
      </section>
    </div>
  );
}

function RatingNotes({ ratings }: { ratings: Ratings }) {
  const excluded = excludedNote(ratings);
  return (
    <p class="footnote muted">
      Ratings on the Elo scale: 400 points apart means 10:1 odds; bars are 95% bootstrap intervals, and models whose
      bars overlap are not yet told apart (they share a rank). Online Elo follows judgment order and has no interval.
      {ratings.labels === "human" && <> People's judgments only: judges' verdicts never count here.</>}
      {ratings.length_controlled.length_coef !== null && <> {lengthNote(ratings)}</>}
      {excluded && <> {excluded}</>}
    </p>
  );
}

function Headline({ rows }: { rows: LeaderboardRow[] }) {
  const settled = rows.filter((row) => !row.provisional);
  if (settled.length < 2) return null;
  const [first, second] = settled;
  const separated = first.ci_low !== null && second.ci_high !== null && first.ci_low > second.ci_high;
  return (
    <p class="headline" data-testid="leaderboard-headline">
      <strong>{first.model}</strong> leads <strong>{second.model}</strong> by {Math.round(first.rating - second.rating)} points: expected to
      win {percent(expectedWinRate(first.rating, second.rating))} of their head-to-heads.{" "}
      <span class={separated ? "tag-ok" : "tag-warn"}>{separated ? "The intervals are apart." : "The intervals still overlap."}</span>
    </p>
  );
}

const BAR_WIDTH = 420;
const BAR_HEIGHT = 26;
const BAR_PAD = 12;

function RatingTable({ rows }: { rows: LeaderboardRow[] }) {
  const domain = ratingDomain(rows);
  const x = linear(domain, [BAR_PAD, BAR_WIDTH - BAR_PAD]);
  return (
    <div class="table-scroll">
      <table class="data-table leaderboard-table" data-testid="leaderboard-table">
        <thead>
          <tr>
            <th class="num">Rank</th>
            <th>Model</th>
            <th class="num">Bradley–Terry</th>
            <th class="bar-col">
              <Axis domain={domain} x={x} />
            </th>
            <th class="num" title="Online Elo, in judgment order">Elo</th>
            <th class="num" title="Bradley–Terry with response length as a covariate (style control)">Length-controlled</th>
            <th class="num">Pairs</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => <RatingRow key={row.model} row={row} x={x} domain={domain} />)}
        </tbody>
      </table>
    </div>
  );
}

function RatingRow({ row, x, domain }: { row: LeaderboardRow; x: (v: number) => number; domain: Domain }) {
  return (
    <tr data-testid={`model-${row.model}`} class={row.provisional ? "is-provisional" : undefined}>
      <td class="num rank-cell">
        {row.provisional ? (
          <span class="muted" title={`No rank until ${MIN_PAIRS_FOR_RATING} judged pairs`}>–</span>
        ) : (
          <span class={`rank rank-${Math.min(row.rank, 4)}`}>{row.rank}</span>
        )}
      </td>
      <td class="model-name">{row.model}</td>
      <td class="num bt-cell" data-label="Bradley–Terry">
        <strong>{Math.round(row.rating)}</strong>
        {row.ci_low !== null && row.ci_high !== null && (
          <span class="muted small"> +{Math.round(row.ci_high - row.rating)}/−{Math.round(row.rating - row.ci_low)}</span>
        )}
        {row.provisional && (
          <div class="tag-warn small" data-testid="provisional">
            provisional: {count(row.n)} of {MIN_PAIRS_FOR_RATING} pairs
          </div>
        )}
      </td>
      <td class="bar-col">
        <IntervalBar row={row} x={x} domain={domain} />
      </td>
      <td class="num elo-cell" data-label="Elo">{row.elo === null ? "—" : Math.round(row.elo)}</td>
      <td class="num lc-cell" data-label="Length-ctrl">
        {row.length_controlled === null ? "—" : Math.round(row.length_controlled)}
        <LengthShift shift={row.length_shift} />
      </td>
      <td class="num pairs-cell" data-label="Pairs">{count(row.n)}</td>
    </tr>
  );
}

function LengthShift({ shift }: { shift: number | null }) {
  if (shift === null || Math.abs(shift) < 1) return null;
  return (
    <span class={`muted small shift ${shift > 0 ? "up" : "down"}`}>
      {" "}
      {shift > 0 ? "▲" : "▼"}
      {Math.abs(Math.round(shift))}
    </span>
  );
}

function Axis({ domain, x }: { domain: Domain; x: (v: number) => number }) {
  const values = ticks(domain, 4);
  const labels = formatTicks(values);
  return (
    <svg class="chart axis-svg" viewBox={`0 0 ${BAR_WIDTH} 18`} aria-hidden="true">
      {values.map((tick, i) => (
        <text key={tick} class="tick" x={x(tick)} y={13} text-anchor="middle">{labels[i]}</text>
      ))}
    </svg>
  );
}

function IntervalBar({ row, x, domain }: { row: LeaderboardRow; x: (v: number) => number; domain: Domain }) {
  const mid = BAR_HEIGHT / 2;
  const hasCi = row.ci_low !== null && row.ci_high !== null;
  // Ends past the axis (a provisional model's interval) are drawn to its edge with an arrow.
  const low = hasCi ? clip(row.ci_low!, domain) : null;
  const high = hasCi ? clip(row.ci_high!, domain) : null;
  const dot = clip(row.rating, domain);
  return (
    <svg class="chart ci-bar" viewBox={`0 0 ${BAR_WIDTH} ${BAR_HEIGHT}`} role="img" aria-label={`${row.model}: ${Math.round(row.rating)}${hasCi ? `, 95% CI ${Math.round(row.ci_low!)} to ${Math.round(row.ci_high!)}` : ""}${row.elo !== null ? `; Elo ${Math.round(row.elo)}` : ""}`}>
      <line class="ci-track" x1={BAR_PAD} x2={BAR_WIDTH - BAR_PAD} y1={mid} y2={mid} />
      {low && high && (
        <>
          <rect class="ci-band" x={x(low.value)} y={mid - 5} width={Math.max(2, x(high.value) - x(low.value))} height={10} rx={5} />
          {low.clipped ? (
            <path class="ci-cap" d={`M${x(low.value) + 6},${mid - 7}L${x(low.value)},${mid}L${x(low.value) + 6},${mid + 7}`} />
          ) : (
            <line class="ci-cap" x1={x(low.value)} x2={x(low.value)} y1={mid - 7} y2={mid + 7} />
          )}
          {high.clipped ? (
            <path class="ci-cap" d={`M${x(high.value) - 6},${mid - 7}L${x(high.value)},${mid}L${x(high.value) - 6},${mid + 7}`} />
          ) : (
            <line class="ci-cap" x1={x(high.value)} x2={x(high.value)} y1={mid - 7} y2={mid + 7} />
          )}
        </>
      )}
      {row.elo !== null && !clip(row.elo, domain).clipped && (
        <path class="elo-mark" d={`M${x(row.elo)},${mid - 5}l5,5l-5,5l-5,-5z`}>
          <title>{`Online Elo ${Math.round(row.elo)}`}</title>
        </path>
      )}
      {!dot.clipped && <circle class="ci-dot" cx={x(dot.value)} cy={mid} r={5.5} />}
    </svg>
  );
}

function lengthNote(ratings: Ratings): string {
  const coef = ratings.length_controlled.length_coef ?? 0;
  const direction = coef > 0.05 ? "longer responses won more often" : coef < -0.05 ? "shorter responses won more often" : "length hardly mattered";
  return `Length control: ${direction} (coefficient ${fixed(coef)}); ▲/▼ show how a model moves once that is accounted for.`;
}

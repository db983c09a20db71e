import { getStats } from "../../api";
import { HeatLegend, Heatmap } from "../../components/charts/Heatmap";
import { type Domain, formatTicks, linear, ticks } from "../../logic/chartScale";
import { ago, count, percent } from "../../logic/format";
import { type LeaderboardRow, MIN_PAIRS_FOR_RATING, UNRATED_NOTE, clip, excludedNote, expectedWinRate, leaderboardRows, lengthNote, ratingDomain } from "../../logic/leaderboard";
import type { ComparisonKind, Project, ProjectStats, Ratings } from "../../types";
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
  return <Leaderboard ratings={ratings} computedAt={data.computed_at} unit={resultUnit(data.task_type)} />;
}

/** What a rating is counted in: judgments, or the pairs rankings imply. */
function resultUnit(kind: ComparisonKind): string {
  return kind === "ranking" ? "pairs from rankings" : "judgments";
}

function Leaderboard({ ratings, computedAt, unit }: { ratings: Ratings; computedAt: string; unit: string }) {
  const rows = leaderboardRows(ratings);
  return (
    <div class="dash-stack" data-testid="leaderboard">
      <section class="card">
        <header class="card-head">
          <h2>Leaderboard</h2>
          <span class="card-note">
            Bradley–Terry over {count(ratings.n)} {unit} · computed {ago(computedAt)}
          </span>
        </header>
        <Headline rows={rows} />
        <div class="legend chart-key">
          <span class="legend-item"><span class="key-dot" /> Bradley–Terry rating</span>
          <span class="legend-item"><span class="key-band" /> 95% interval</span>
          <span class="legend-item"><span class="key-diamond" /> online Elo</span>
        </div>
        <RatingTable rows={rows} unit={unit} />
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
  const settled = rows.filter((row): row is LeaderboardRow & { rating: number } => !row.provisional && row.rating !== null);
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

function RatingTable({ rows, unit }: { rows: LeaderboardRow[]; unit: string }) {
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
              {/* The axis is a drawing: the column still has a name for a screen reader. */}
              <span class="visually-hidden">Rating with its 95% interval</span>
              <Axis domain={domain} x={x} />
            </th>
            <th class="num" title="Online Elo, in judgment order">Elo</th>
            <th class="num" title="Bradley–Terry with response length as a covariate (style control)">Length-controlled</th>
            <th class="num" title={`The ${unit} the model appears in`}>Judged</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => <RatingRow key={row.model} row={row} x={x} domain={domain} unit={unit} />)}
        </tbody>
      </table>
    </div>
  );
}

function RatingRow({ row, x, domain, unit }: { row: LeaderboardRow; x: (v: number) => number; domain: Domain; unit: string }) {
  return (
    <tr data-testid={`model-${row.model}`} class={row.provisional || row.unrated ? "is-provisional" : undefined}>
      <td class="num rank-cell">
        {row.provisional || row.rank === null ? (
          <span class="muted" title={`No rank until ${MIN_PAIRS_FOR_RATING} judged pairs`}>–</span>
        ) : (
          <span class={`rank rank-${Math.min(row.rank, 4)}`}>{row.rank}</span>
        )}
      </td>
      <td class="model-name">{row.model}</td>
      <td class="num bt-cell" data-label="Bradley–Terry">
        {row.rating === null ? <strong title={row.unrated ? UNRATED_NOTE[row.unrated] : undefined}>—</strong> : (
          <>
            <strong>{Math.round(row.rating)}</strong>
            <IntervalText rating={row.rating} low={row.ci_low} high={row.ci_high} />
          </>
        )}
        {row.provisional && (
          <div class="tag-warn small" data-testid="provisional">
            provisional: {count(row.n)} of {MIN_PAIRS_FOR_RATING} {unit}
          </div>
        )}
      </td>
      <td class="bar-col">
        {row.rating === null ? (
          <span class="muted small" data-testid="unrated">{row.unrated ? UNRATED_NOTE[row.unrated] : "no rating"}</span>
        ) : (
          <IntervalBar row={row} rating={row.rating} x={x} domain={domain} />
        )}
      </td>
      <td class="num elo-cell" data-label="Elo">{row.elo === null ? "—" : Math.round(row.elo)}</td>
      <td class="num lc-cell" data-label="Length-ctrl">
        {row.length_controlled === null ? "—" : Math.round(row.length_controlled)}
        <LengthShift shift={row.length_shift} />
      </td>
      <td class="num pairs-cell" data-label="Judged">{count(row.n)}</td>
    </tr>
  );
}

/** "+40/−35" from the rating to each interval end; ∞ for an end the resamples left unbounded. */
function IntervalText({ rating, low, high }: { rating: number; low: number | null; high: number | null }) {
  const up = high === null ? "∞" : Math.round(high - rating);
  const down = low === null ? "∞" : Math.round(rating - low);
  return <span class="muted small" title={low === null || high === null ? "∞: some resamples leave this model without a limit that way" : undefined}> +{up}/−{down}</span>;
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

function IntervalBar({ row, rating, x, domain }: { row: LeaderboardRow; rating: number; x: (v: number) => number; domain: Domain }) {
  const mid = BAR_HEIGHT / 2;
  // Ends past the axis (a provisional model's interval) are drawn to its edge with an arrow, as
  // are ends with no limit (null beside a rating: resamples left the model unbounded that way).
  const low = clip(row.ci_low ?? -Infinity, domain);
  const high = clip(row.ci_high ?? Infinity, domain);
  const dot = clip(rating, domain);
  const end = (value: number | null) => (value === null ? "no limit" : Math.round(value));
  return (
    <svg class="chart ci-bar" viewBox={`0 0 ${BAR_WIDTH} ${BAR_HEIGHT}`} role="img" aria-label={`${row.model}: ${Math.round(rating)}, 95% CI ${end(row.ci_low)} to ${end(row.ci_high)}${row.elo !== null ? `; Elo ${Math.round(row.elo)}` : ""}`}>
      <line class="ci-track" x1={BAR_PAD} x2={BAR_WIDTH - BAR_PAD} y1={mid} y2={mid} />
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
      {row.elo !== null && !clip(row.elo, domain).clipped && (
        <path class="elo-mark" d={`M${x(row.elo)},${mid - 5}l5,5l-5,5l-5,-5z`}>
          <title>{`Online Elo ${Math.round(row.elo)}`}</title>
        </path>
      )}
      {!dot.clipped && <circle class="ci-dot" cx={x(dot.value)} cy={mid} r={5.5} />}
    </svg>
  );
}



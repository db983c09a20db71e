import { getOverview, getStats, resolveFlag } from "../../api";
import { HourBars } from "../../components/charts/HourBars";
import { StackedBar } from "../../components/charts/StackedBar";
import { niceDomain } from "../../logic/chartScale";
import { ago, count, percent } from "../../logic/format";
import type { Overview, Project, ProjectStats } from "../../types";
import { AgreementPanel } from "./AgreementPanel";
import { AnnotatorTable } from "./AnnotatorTable";
import { OpenFlags, REASON_LABELS } from "./OpenFlags";
import { usePolled } from "./usePolled";

const OVERVIEW_EVERY_MS = 10_000;
const STATS_EVERY_MS = 30_000;

/** How the collection is going: progress, pace, leases, agreement, annotators and flags. */
export function OverviewPage({ project }: { project: Project }) {
  const [overview, reloadOverview] = usePolled(() => getOverview(project.id), OVERVIEW_EVERY_MS, [project.id]);
  const [stats] = usePolled(() => getStats(project.id), STATS_EVERY_MS, [project.id]);

  if (overview.state === "loading") return <div class="skeleton" style={{ height: "220px" }} />;
  if (overview.state === "error") return <div class="error-box">Could not load the overview: {overview.message}</div>;
  const data = overview.data;
  const statsData = stats.state === "ready" ? stats.data : null;

  return (
    <div class="dash-stack" data-testid="overview">
      <div class="kpi-grid">
        <ProgressCard data={data} />
        <PaceCard data={data} />
        <InFlightCard data={data} />
        <FlagsCard data={data} />
      </div>
      <div class="dash-columns">
        <section class="card card-wide">
          <header class="card-head">
            <h2>Agreement</h2>
            <StatsFreshness stats={statsData} loading={stats.state === "loading"} />
          </header>
          {statsData ? <AgreementPanel agreement={statsData.agreement} /> : <StatsPending loading={stats.state === "loading"} />}
        </section>
        <RatesCard data={data} project={project} />
      </div>
      <AnnotatorsCard projectId={project.id} stats={statsData} loading={stats.state === "loading"} />
      <section class="card">
        <header class="card-head">
          <h2>Flagged for review</h2>
          <span class="card-note">{data.flags.open} open · newest first</span>
        </header>
        <OpenFlags projectId={project.id} flags={data.flagged} onResolve={(flagId) => resolveFlag(flagId).then(reloadOverview)} />
      </section>
    </div>
  );
}

function AnnotatorsCard({ projectId, stats, loading }: { projectId: number; stats: ProjectStats | null; loading: boolean }) {
  return (
    <section class="card">
      <header class="card-head">
        <h2>Annotators</h2>
        <span class="card-note">Agreement is with the majority of the others on the same comparison; outliers are credibly below the crowd.</span>
      </header>
      {stats ? <AnnotatorTable rows={stats.annotators} judges={stats.judges} projectId={projectId} /> : <StatsPending loading={loading} />}
    </section>
  );
}

function ProgressCard({ data }: { data: Overview }) {
  const { total, complete, partial, overlap } = data.comparisons;
  const untouched = Math.max(0, total - complete - partial);
  return (
    <section class="card kpi" data-testid="kpi-progress">
      <div class="kpi-label">Comparisons complete</div>
      <div class="kpi-value">
        {percent(total ? complete / total : null)} <span class="kpi-of">{count(complete)} of {count(total)}</span>
      </div>
      <StackedBar
        label="Comparisons"
        total={total}
        segments={[
          { label: "complete", value: complete, tone: "seg-done" },
          { label: "in progress", value: partial, tone: "seg-partial" },
          { label: "not started", value: untouched, tone: "seg-rest" },
        ]}
      />
      <div class="kpi-foot">
        {overlap} judgment{overlap === 1 ? "" : "s"} wanted each{data.comparisons.gold ? ` · ${count(data.comparisons.gold)} gold` : ""}
      </div>
    </section>
  );
}

function PaceCard({ data }: { data: Overview }) {
  const lastHour = data.judgments.per_hour.at(-2)?.count ?? 0;
  return (
    <section class="card kpi" data-testid="kpi-pace">
      <div class="kpi-label">Judgments, last 24 h</div>
      <div class="kpi-value">
        {count(data.judgments.last_24h)} <span class="kpi-of">{count(lastHour)} in the last full hour</span>
      </div>
      <HourBars hours={data.judgments.per_hour} />
      <div class="kpi-foot">
        {data.judgments.annotators_24h} annotator{data.judgments.annotators_24h === 1 ? "" : "s"} active · {count(data.judgments.total)} in all
        {data.judgments.by_judges > 0 && <span data-testid="pace-judges"> · {count(data.judgments.by_judges)} by judges, not counted</span>}
        {data.judgments.rejected > 0 && <span data-testid="pace-rejected"> · {count(data.judgments.rejected)} rejected in review</span>}
      </div>
    </section>
  );
}

function InFlightCard({ data }: { data: Overview }) {
  const { in_flight, annotators_in_flight } = data.leases;
  return (
    <section class="card kpi" data-testid="kpi-leases">
      <div class="kpi-label">Leases in flight</div>
      <div class="kpi-value">
        {count(in_flight)} <span class="kpi-of">on {annotators_in_flight} annotator{annotators_in_flight === 1 ? "'s screen" : "s' screens"}</span>
      </div>
      <div class="lease-dots" aria-hidden="true">
        {Array.from({ length: Math.min(in_flight, 60) }, (_, i) => <span key={i} class="lease-dot" />)}
        {in_flight > 60 && <span class="muted">+{in_flight - 60}</span>}
      </div>
      <div class="kpi-foot">
        {count(data.leases.skipped)} skipped in all · updated {ago(data.generated_at)}
      </div>
    </section>
  );
}

function FlagsCard({ data }: { data: Overview }) {
  const reasons = Object.entries(data.flags.by_reason).sort((a, b) => b[1] - a[1]);
  return (
    <section class={`card kpi${data.flags.open ? " kpi-alert" : ""}`} data-testid="kpi-flags">
      <div class="kpi-label">Open flags</div>
      <div class="kpi-value">
        {count(data.flags.open)} <span class="kpi-of">{count(data.flags.total)} raised in all</span>
      </div>
      <div class="chips">
        {reasons.length === 0 && <span class="muted">None raised</span>}
        {reasons.map(([reason, n]) => (
          <span key={reason} class={`chip reason-${reason}`}>
            {REASON_LABELS[reason] ?? reason} <strong>{n}</strong>
          </span>
        ))}
      </div>
    </section>
  );
}

function RatesCard({ data, project }: { data: Overview; project: Project }) {
  const rows = [
    { label: "Ties", rate: data.rates.tie, n: data.judgments.ties, note: project.task_type === "pairwise" ? "of judgments" : project.allow_ties ? "of rankings" : "rankings have none" },
    { label: "Skips", rate: data.rates.skip, n: data.leases.skipped, note: "of comparisons people finished" },
    { label: "Flagged", rate: data.rates.flag, n: data.flags.finished_flagged, note: "of comparisons people finished" },
  ];
  // Rates are usually a few percent: the bars share a scale that fits the largest, 10 % at least.
  const top = niceDomain([0, Math.max(0.1, ...rows.map((row) => row.rate ?? 0))], 2)[1];
  return (
    <section class="card" data-testid="rates">
      <header class="card-head">
        <h2>Ties, skips, flags</h2>
        <span class="card-note">bars to {percent(top)}</span>
      </header>
      <div class="rate-list">
        {rows.map((row) => (
          <div key={row.label} class="rate-row">
            <div class="rate-label">
              {row.label} <span class="muted">{row.note}</span>
            </div>
            <div class="rate-bar">
              <span style={{ width: `${Math.min(100, ((row.rate ?? 0) / top) * 100)}%` }} />
            </div>
            <div class="rate-value">
              <strong>{percent(row.rate, 1)}</strong> <span class="muted">({count(row.n)})</span>
            </div>
          </div>
        ))}
      </div>
    </section>
  );
}

function StatsFreshness({ stats, loading }: { stats: ProjectStats | null; loading: boolean }) {
  if (loading) return null;
  if (!stats) return <span class="card-note">not computed yet</span>;
  return (
    <span class="card-note">
      {/* people's judgments, as the figures count them (stats.judgments, the freshness mark, has judges' too) */}
      over {count(stats.counts.judgments)} judgments · computed {ago(stats.computed_at)}
      {stats.stale ? " · refreshing" : ""}
    </span>
  );
}

export function StatsPending({ loading }: { loading: boolean }) {
  if (loading) return <div class="skeleton" style={{ height: "80px" }} />;
  return (
    <p class="muted pending-note">
      Statistics are computed in the background a few seconds after judgments arrive; they will appear here.
    </p>
  );
}

import { useState } from "preact/hooks";
import { listFastestJudgments } from "../../api";
import { duration, percent } from "../../logic/format";
import { hrefFor } from "../../router";
import { type Direction, type SortState, nextSort, sortRows } from "../../logic/sortRows";
import type { AnnotatorQuality, JudgeStats } from "../../types";
import { usePolled } from "./usePolled";

type Column =
  | "username" | "n" | "agreement" | "reliability" | "gold_accuracy" | "median_seconds" | "fastest_seconds" | "tie_rate" | "skip_rate"
  | "flag_rate" | "outlier";

const COLUMNS: { key: Column; label: string; natural: Direction; title: string }[] = [
  { key: "username", label: "Annotator", natural: "asc", title: "" },
  { key: "n", label: "Comparisons", natural: "desc", title: "Comparisons handled: judgments and skips" },
  { key: "agreement", label: "Agreement", natural: "asc", title: "Share agreeing with the leave-one-out majority" },
  {
    key: "reliability", label: "Reliability", natural: "asc",
    title: "Dawid–Skene estimate of the share of their verdicts that are right: a confusion matrix per annotator, "
      + "fitted by EM to everyone's verdicts on the comparisons they share; — with under 5 shared judgments or a single annotator",
  },
  { key: "gold_accuracy", label: "Gold", natural: "asc", title: "Accuracy on gold comparisons (a ranking: its first response; tying the top never matches)" },
  { key: "median_seconds", label: "Median time", natural: "asc", title: "Median seconds per judgment" },
  { key: "fastest_seconds", label: "Fastest", natural: "asc", title: "Fastest judgment; the share faster than the responses can be skimmed beside it" },
  { key: "tie_rate", label: "Ties", natural: "desc", title: "Share of judgments holding a tie (a ranking: any responses ranked equal)" },
  { key: "skip_rate", label: "Skips", natural: "desc", title: "Share of comparisons skipped" },
  { key: "flag_rate", label: "Flags", natural: "desc", title: "Share of comparisons flagged" },
  { key: "outlier", label: "Status", natural: "desc", title: "Outlier: agreement credibly below the crowd's" },
];

/** Every annotator's quality figures; click a header to sort (outliers first by default). Judges
 * (models) follow the people, marked, apart from the sort: their figures are against the people. */
export function AnnotatorTable({ rows, judges = [], projectId }: { rows: AnnotatorQuality[]; judges?: JudgeStats[]; projectId?: number }) {
  const [sort, setSort] = useState<SortState<Column>>({ key: "outlier", direction: "desc" });
  if (rows.length === 0 && judges.length === 0) return <p class="muted pending-note">No annotator has judged anything yet. Imported labels count in agreement and ratings but are not listed here.</p>;
  const sorted = sortRows(rows, sort, (row, key) => row[key]);
  return (
    <div class="table-scroll">
      <table class="data-table annotator-table" data-testid="annotator-table">
        <thead>
          <tr>
            {COLUMNS.map((column) => (
              <SortHeader key={column.key} column={column} sort={sort} onSort={() => setSort(nextSort(sort, column.key, column.natural))} />
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((row) => <AnnotatorRow key={row.annotator} row={row} projectId={projectId} />)}
        </tbody>
        {judges.length > 0 && <JudgeRows judges={judges} />}
      </table>
    </div>
  );
}

function SortHeader({ column, sort, onSort }: { column: (typeof COLUMNS)[number]; sort: SortState<Column>; onSort: () => void }) {
  const current = sort.key === column.key;
  return (
    <th
      class={column.key === "username" ? "" : "num"}
      aria-sort={current ? (sort.direction === "asc" ? "ascending" : "descending") : "none"}
      title={column.title}
    >
      <button class="sort-button" onClick={onSort}>
        {column.label}
        <span class="sort-mark" aria-hidden="true">
          {current ? (sort.direction === "asc" ? "▲" : "▼") : ""}
        </span>
      </button>
    </th>
  );
}

function AnnotatorRow({ row, projectId }: { row: AnnotatorQuality; projectId?: number }) {
  const [open, setOpen] = useState(false);
  const canOpen = row.too_fast && projectId !== undefined;
  return (
    <>
    <tr class={row.outlier || row.too_fast ? "is-outlier" : ""} data-testid={`annotator-${row.username}`}>
      <td class="annotator-name">{row.username || `user ${row.annotator}`}</td>
      <td class="num">{row.n}</td>
      <td class="num">
        <ShareBar value={row.agreement} /> <span class="muted small">n={row.n_agreement}</span>
      </td>
      <td class="num" data-testid="reliability">{percent(row.reliability)}</td>
      <td class="num">
        {row.n_gold ? (
          <>
            {percent(row.gold_accuracy)} <span class="muted small">n={row.n_gold}</span>
          </>
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td class="num">{duration(row.median_seconds)}</td>
      <td class="num">
        {duration(row.fastest_seconds)}
        {row.fast_rate ? <span class="muted small"> {percent(row.fast_rate)} fast</span> : null}
      </td>
      <td class="num">{percent(row.tie_rate)}</td>
      <td class="num">{percent(row.skip_rate)}</td>
      <td class="num">{percent(row.flag_rate)}</td>
      <td class="num">
        <StatusBadges row={row} />
        {canOpen && (
          <button class="btn btn-ghost btn-sm" type="button" aria-expanded={open} onClick={() => setOpen(!open)} data-testid={`fastest-${row.username}`}
            title="Their quickest judgments, each opening its comparison">
            {open ? "hide" : "fastest"}
          </button>
        )}
      </td>
    </tr>
    {canOpen && open && <FastestJudgments projectId={projectId} username={row.username} />}
    </>
  );
}

/** An annotator's quickest timed judgments, each a link to its comparison whole. */
function FastestJudgments({ projectId, username }: { projectId: number; username: string }) {
  const [judgments] = usePolled(() => listFastestJudgments(projectId, username), null, [projectId, username]);
  return (
    <tr class="fastest-row" data-testid={`fastest-judgments-${username}`}>
      <td colSpan={COLUMNS.length} class="small">
        {judgments.state === "loading" && <span class="muted">Loading their fastest judgments…</span>}
        {judgments.state === "error" && <span class="field-error">{judgments.message}</span>}
        {judgments.state === "ready" && (
          <span>
            Fastest:{" "}
            {judgments.data.results.map((j) => (
              <a key={j.id} class="fastest-link" href={hrefFor({ name: "dashboard", projectId, tab: "overview", comparisonId: j.comparison })} data-nav>
                {duration(j.time_spent_ms / 1000)} on comparison #{j.comparison}
              </a>
            )).reduce<(string | preact.JSX.Element)[]>((all, link, i) => (i ? [...all, " · ", link] : [link]), [])}
          </span>
        )}
      </td>
    </tr>
  );
}

function StatusBadges({ row }: { row: AnnotatorQuality }) {
  return (
    <>
      {row.outlier && (
        <span class="badge badge-danger" title={`e-value ${row.e_value.toFixed(1)}: agreement credibly below the crowd`}>outlier</span>
      )}
      {row.too_fast && (
        <span class="badge badge-danger" data-testid="too-fast" title={`${percent(row.fast_rate)} of timed judgments faster than the responses can be read`}>too fast</span>
      )}
      {!row.outlier && !row.too_fast && <span class="badge badge-ok">ok</span>}
    </>
  );
}

function ShareBar({ value }: { value: number | null }) {
  return (
    <span class="share">
      <span class="share-bar" aria-hidden="true">
        <span style={{ width: `${Math.round((value ?? 0) * 100)}%` }} />
      </span>
      <strong>{percent(value)}</strong>
    </span>
  );
}

/** The judges, below the people: agreement is with the people's majority, the rest does not apply. */
function JudgeRows({ judges }: { judges: JudgeStats[] }) {
  return (
    <tbody class="judge-rows" data-testid="annotator-judges">
      <tr>
        <th colSpan={COLUMNS.length} class="muted small">Judges: models labelling comparisons; not in any figure above</th>
      </tr>
      {judges.map((judge) => (
        <tr key={judge.annotator} data-testid={`annotator-judge-${judge.name}`}>
          <td class="annotator-name">
            {judge.name} <span class="badge" title="A model, not a person">judge</span>
          </td>
          <td class="num">{judge.count}</td>
          <td class="num" title="Share agreeing with the people's majority">
            <ShareBar value={judge.agreement_with_humans.raw} /> <span class="muted small">n={judge.agreement_with_humans.n}</span>
          </td>
          {COLUMNS.slice(3).map((column) => <td key={column.key} class="num muted">—</td>)}
        </tr>
      ))}
    </tbody>
  );
}

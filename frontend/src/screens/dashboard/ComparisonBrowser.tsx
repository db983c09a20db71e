// The comparison browser (Data → Comparisons): every comparison of the project, filtered by gold,
// flags, judgments against the overlap, model and prompt text, a page at a time, each row opening
// the comparison whole (where it is made gold). The filters live in the address, so a filtered page
// can be shared, reloaded and returned to with Back. Prompt excerpts and model names are untrusted
// text: JSX text only, never HTML.

import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, getStats, listComparisons, loginUrl } from "../../api";
import { LETTERS } from "../../generated/constants";
import {
  type ComparisonFilters,
  type FlagFilter,
  type GoldFilter,
  MAJORITY_SHARE_TITLE,
  MAX_TEXT,
  NO_FILTERS,
  PAGE_SIZE,
  type SortColumn,
  type StatusFilter,
  agreementText,
  filtersFromSearch,
  flagText,
  isFiltered,
  judgmentText,
  listQuery,
  orderingAfterClick,
  pageText,
  searchFor,
  sortOf,
  statusOf,
  turnedOffset,
} from "../../logic/comparisonList";
import { ago } from "../../logic/format";
import { hrefFor } from "../../router";
import type { ComparisonListPage, ComparisonRow, Project } from "../../types";
import "../../styles/comparisonList.css";
import { errorText, usePolled } from "./usePolled";

/** The list's address (filters and page) when a row was opened, so that comparison's page leads back to it. */
let openedFrom: { projectId: number; comparisonId: number; href: string } | null = null;

/** Where "back" from a comparison's page goes, if it was opened from this project's list. */
export function comparisonListReturn(projectId: number, comparisonId: number): string | null {
  return openedFrom?.projectId === projectId && openedFrom.comparisonId === comparisonId ? openedFrom.href : null;
}

type Loaded = { page: ComparisonListPage | null; error: string; busy: boolean };

const SEARCH_DELAY_MS = 300;

export function ComparisonBrowser({ project }: { project: Project }) {
  const [view, setView] = useState(() => filtersFromSearch(location.search));
  const { filters, offset } = view;
  const [loaded, setLoaded] = useState<Loaded>({ page: null, error: "", busy: true });
  const query = listQuery(filters, offset);
  useEffect(() => {
    history.replaceState(history.state, "", location.pathname + searchFor(filters, offset));
    let live = true;
    setLoaded((now) => ({ ...now, busy: true }));
    listComparisons(project.id, query).then(
      (page) => live && setLoaded({ page, error: "", busy: false }),
      (error) => {
        if (!live) return;
        if (error instanceof ApiError && error.isAuth) location.assign(loginUrl());
        else setLoaded({ page: null, error: errorText(error), busy: false });
      },
    );
    return () => void (live = false);
  }, [project.id, query]);
  const setFilters = (next: ComparisonFilters) => setView({ filters: next, offset: 0 });
  const setOffset = (next: number) => setView({ filters, offset: next });
  const page = loaded.page;
  return (
    <section class="card comparison-browser" data-testid="comparisons-panel" aria-busy={loaded.busy}>
      <header class="card-head">
        <h2>Comparisons</h2>
        <span class="card-note">Open one to see it whole, its judgments and flags, and to make it gold</span>
      </header>
      <FilterBar project={project} filters={filters} onChange={setFilters} />
      {loaded.error && <div class="error-box" role="alert">{loaded.error}</div>}
      {!page && !loaded.error && <div class="skeleton" style={{ height: "160px" }} />}
      {page && page.results.length === 0 && (
        <Empty filters={filters} offset={offset} count={page.count} project={project} clear={() => setFilters({ ...NO_FILTERS, ordering: filters.ordering })} first={() => setOffset(0)} />
      )}
      {page && page.results.length > 0 && (
        <ComparisonTable project={project} rows={page.results} filters={filters} onSort={(column) => setFilters({ ...filters, ordering: orderingAfterClick(filters.ordering, column) })} />
      )}
      {page && <Pager page={page} offset={offset} busy={loaded.busy} setOffset={setOffset} />}
    </section>
  );
}

const GOLD: [GoldFilter, string][] = [["", "Any"], ["gold", "Gold only"], ["ordinary", "Not gold"]];
const FLAGS: [FlagFilter, string][] = [["", "Any"], ["flagged", "Flagged"], ["open", "Open flags"], ["unflagged", "Never flagged"]];
const STATUSES: [StatusFilter, string][] = [["", "Any"], ["unjudged", "Unjudged"], ["partial", "Partly judged"], ["complete", "Complete"]];

/** The filters: selects apply at once; the search and the model apply a moment after typing stops, or on Enter. */
function FilterBar({ project, filters, onChange }: { project: Project; filters: ComparisonFilters; onChange: (f: ComparisonFilters) => void }) {
  const [text, setText] = useState({ q: filters.q, model: filters.model });
  const searchBox = useRef<HTMLInputElement>(null);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => setText({ q: filters.q, model: filters.model }), [filters.q, filters.model]);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  useSlashFocus(searchBox);
  const apply = (next: typeof text) => {
    window.clearTimeout(timer.current);
    if (next.q !== filters.q || next.model !== filters.model) onChange({ ...filters, ...next });
  };
  const type = (next: typeof text) => {
    setText(next);
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => apply(next), SEARCH_DELAY_MS);
  };
  const select = <K extends "gold" | "flags" | "status">(key: K) => (e: Event) =>
    onChange({ ...filters, ...text, [key]: (e.currentTarget as HTMLSelectElement).value as ComparisonFilters[K] });
  return (
    <form class="comparison-filters" role="search" aria-label="Filter comparisons" onSubmit={(e) => { e.preventDefault(); apply(text); }} data-testid="comparison-filters">
      <label class="field comparison-search">
        <span>Prompt contains</span>
        <input type="search" ref={searchBox} value={text.q} maxLength={MAX_TEXT} placeholder="text in the last user turn · press /"
          onInput={(e) => type({ ...text, q: (e.currentTarget as HTMLInputElement).value })} data-testid="comparison-search" />
      </label>
      <label class="field">
        <span>Model</span>
        <ModelInput project={project} value={text.model} onInput={(model) => type({ ...text, model })} />
      </label>
      <label class="field">
        <span>Gold</span>
        <select value={filters.gold} onChange={select("gold")} data-testid="comparison-gold-filter">
          {GOLD.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
        </select>
      </label>
      <label class="field">
        <span>Flags</span>
        <select value={filters.flags} onChange={select("flags")} data-testid="comparison-flag-filter">
          {FLAGS.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
        </select>
      </label>
      <label class="field">
        <span>Judgments</span>
        <select value={filters.status} onChange={select("status")} data-testid="comparison-status-filter"
          title={`Against the project's overlap: ${project.overlap} per comparison`}>
          {STATUSES.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
        </select>
      </label>
    </form>
  );
}

/** The model filter: any exact name, the project's rated models offered as suggestions. */
function ModelInput({ project, value, onInput }: { project: Project; value: string; onInput: (model: string) => void }) {
  const [stats] = usePolled(() => getStats(project.id), null, [project.id]);
  const models = stats.state === "ready" ? stats.data?.ratings.win_rate.models ?? [] : [];
  const listId = `comparison-models-${project.id}`;
  return (
    <>
      <input value={value} maxLength={MAX_TEXT} list={listId} placeholder="any" autoComplete="off"
        onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)} data-testid="comparison-model-filter" />
      <datalist id={listId}>{models.map((name) => <option key={name} value={name} />)}</datalist>
    </>
  );
}

/** "/" anywhere but a field moves to the search box, as in most lists people search all day. */
function useSlashFocus(box: { current: HTMLInputElement | null }) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      const typing = target?.closest?.("input, textarea, select, [contenteditable]");
      if (event.key !== "/" || typing || event.ctrlKey || event.metaKey || event.altKey) return;
      event.preventDefault();
      box.current?.focus();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
}

const SORTABLE: Record<SortColumn, string> = { id: "#", judgment_count: "Judgments", created_at: "Added" };

function ComparisonTable({ project, rows, filters, onSort }: {
  project: Project;
  rows: ComparisonRow[];
  filters: ComparisonFilters;
  onSort: (column: SortColumn) => void;
}) {
  const sort = sortOf(filters.ordering);
  const header = (column: SortColumn, numeric = false) => {
    const current = sort.key === column;
    return (
      <th class={numeric ? "num" : ""} aria-sort={current ? (sort.direction === "asc" ? "ascending" : "descending") : "none"}>
        <button type="button" class="sort-button" onClick={() => onSort(column)} data-testid={`comparison-sort-${column}`}>
          {SORTABLE[column]}
          <span class="sort-mark" aria-hidden="true">{current ? (sort.direction === "asc" ? "▲" : "▼") : ""}</span>
        </button>
      </th>
    );
  };
  return (
    <div class="table-scroll">
      <table class="data-table comparison-table" data-testid="comparison-table">
        <thead>
          <tr>
            {header("id", true)}
            <th class="cmp-unsorted">Prompt</th>
            <th class="cmp-unsorted">Models</th>
            {header("judgment_count", true)}
            <th class="num cmp-unsorted" title={MAJORITY_SHARE_TITLE}>Majority share</th>
            <th class="cmp-unsorted">Flags</th>
            {header("created_at")}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => <Row key={row.id} project={project} row={row} />)}
        </tbody>
      </table>
    </div>
  );
}

function Row({ project, row }: { project: Project; row: ComparisonRow }) {
  const href = hrefFor({ name: "dashboard", projectId: project.id, tab: "overview", comparisonId: row.id });
  const remember = () => void (openedFrom = { projectId: project.id, comparisonId: row.id, href: location.pathname + location.search });
  const status = statusOf(row);
  const flags = flagText(row);
  return (
    <tr data-testid={`comparison-row-${row.id}`} data-gold={row.is_gold ? "1" : "0"}>
      <td class="num cmp-id"><a href={href} data-nav onClick={remember} aria-label={`Open comparison #${row.id}`}>#{row.id}</a></td>
      <td class="comparison-prompt-cell">
        <a href={href} data-nav onClick={remember} class="comparison-excerpt" dir="auto" data-testid="comparison-excerpt">
          {row.prompt_excerpt || <span class="muted">(empty prompt)</span>}
        </a>
        {row.is_gold && <span class="badge gold-badge" data-testid="comparison-gold">gold</span>}
      </td>
      <td class="cmp-models" data-label="Models">
        <span class="comparison-models">
          {row.model_names.map((name, i) => (
            <span key={i} class="comparison-model"><span class="muted">{LETTERS[i]?.toUpperCase()}</span> {name || "unknown"}</span>
          ))}
        </span>
      </td>
      <td class="num cmp-judgments" data-label="Judgments" data-testid="comparison-judgments">
        {judgmentText(row)}
        {!row.is_gold && <span class={`judged-pill judged-${status}`}>{status}</span>}
      </td>
      <td class="num cmp-share" data-label="Majority share" title={MAJORITY_SHARE_TITLE}>{agreementText(row.agreement)}</td>
      <td class="cmp-flags" data-label="Flags">{flags ? <span class={`chip${row.open_flags ? " reason-unsafe" : ""}`} data-testid="comparison-flags">{flags}</span> : <span class="muted">—</span>}</td>
      <td class="small nowrap cmp-added" data-label="Added" title={new Date(row.created_at).toLocaleString()}>{ago(row.created_at)}</td>
    </tr>
  );
}

function Empty({ filters, offset, count, project, clear, first }: {
  filters: ComparisonFilters; offset: number; count: number; project: Project; clear: () => void; first: () => void;
}) {
  if (count > 0 && offset > 0) {
    return (
      <p class="muted pending-note" data-testid="comparison-empty">
        This page is past the end of the list. <button type="button" class="btn btn-sm" onClick={first}>First page</button>
      </p>
    );
  }
  if (isFiltered(filters)) {
    return (
      <p class="muted pending-note" data-testid="comparison-empty">
        No comparison matches these filters. <button type="button" class="btn btn-sm" onClick={clear}>Clear filters</button>
      </p>
    );
  }
  return (
    <p class="muted pending-note" data-testid="comparison-empty">
      No comparisons yet. <a href={hrefFor({ name: "dashboard", projectId: project.id, tab: "data", section: "import" })} data-nav>Import some</a>
    </p>
  );
}

function Pager({ page, offset, busy, setOffset }: { page: ComparisonListPage; offset: number; busy: boolean; setOffset: (offset: number) => void }) {
  return (
    <nav class="comparison-pager" aria-label="Pages of comparisons">
      <button type="button" class="btn btn-sm" disabled={!page.previous || busy} onClick={() => setOffset(turnedOffset(offset, -1))} data-testid="comparison-previous">
        ← Previous
      </button>
      <span class="muted" role="status" data-testid="comparison-count">{pageText(offset, page.results.length, page.count)}</span>
      <button type="button" class="btn btn-sm" disabled={!page.next || busy} onClick={() => setOffset(turnedOffset(offset, 1, PAGE_SIZE))} data-testid="comparison-next">
        Next →
      </button>
    </nav>
  );
}

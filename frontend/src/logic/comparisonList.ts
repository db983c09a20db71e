// The comparison browser's filters: as the list's query string (GET /api/projects/{id}/comparisons/),
// read back from and written to the page's address (so a filtered page can be shared, reloaded, and
// returned to with Back), and the words its rows are shown in. Plain functions, no DOM.

import type { ComparisonRow } from "../types";

export type GoldFilter = "" | "gold" | "ordinary";
/** "flagged": any flag, resolved or not; "open": an unresolved one; "unflagged": none at all. */
export type FlagFilter = "" | "flagged" | "open" | "unflagged";
export type Status = "unjudged" | "partial" | "complete";
export type StatusFilter = "" | Status;

/** The orderings the server takes (labeling/comparisons/listing.py ORDERINGS). */
export const ORDERINGS = ["id", "-id", "judgment_count", "-judgment_count", "created_at", "-created_at"] as const;
export type Ordering = (typeof ORDERINGS)[number];
export type SortColumn = "id" | "judgment_count" | "created_at";

export interface ComparisonFilters {
  gold: GoldFilter;
  flags: FlagFilter;
  status: StatusFilter;
  /** A model's exact name; empty for any. */
  model: string;
  /** Text the prompt's last turn contains; empty for any. */
  q: string;
  ordering: Ordering;
}

export const NO_FILTERS: ComparisonFilters = { gold: "", flags: "", status: "", model: "", q: "", ordering: "id" };
export const PAGE_SIZE = 50;
/** The server's limit on `model` and `q`. */
export const MAX_TEXT = 200;

const STATUSES: readonly Status[] = ["unjudged", "partial", "complete"];

/** The filter parameters, named as the API names them (the address uses the same names). */
function filterParams(filters: ComparisonFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.gold) params.set("gold", filters.gold === "gold" ? "true" : "false");
  if (filters.flags === "flagged") params.set("flagged", "true");
  if (filters.flags === "unflagged") params.set("flagged", "false");
  if (filters.flags === "open") params.set("open_flags", "true");
  if (filters.status) params.set("status", filters.status);
  const model = filters.model.trim();
  if (model) params.set("model", model.slice(0, MAX_TEXT));
  const q = filters.q.trim();
  if (q) params.set("q", q.slice(0, MAX_TEXT));
  return params;
}

/** The query string of the list's API call for these filters and this page. */
export function listQuery(filters: ComparisonFilters, offset: number, limit: number = PAGE_SIZE): string {
  const params = filterParams(filters);
  params.set("ordering", filters.ordering);
  params.set("limit", String(limit));
  params.set("offset", String(Math.max(0, Math.floor(offset))));
  return params.toString();
}

/** The page's address query ("" with no filter, the first page and the default order). */
export function searchFor(filters: ComparisonFilters, offset: number): string {
  const params = filterParams(filters);
  if (filters.ordering !== NO_FILTERS.ordering) params.set("ordering", filters.ordering);
  if (offset > 0) params.set("offset", String(Math.floor(offset)));
  const query = params.toString();
  return query ? `?${query}` : "";
}

/** Filters and offset from an address query; what is missing or not understood is the default
 * (an address is typed and edited by hand: it must never fail the page). */
export function filtersFromSearch(search: string): { filters: ComparisonFilters; offset: number } {
  const params = new URLSearchParams(search);
  const truth = (name: string) => ({ true: true, "1": true, false: false, "0": false })[params.get(name)?.toLowerCase() ?? ""];
  const gold = truth("gold");
  const flagged = truth("flagged");
  const status = params.get("status") ?? "";
  const ordering = params.get("ordering") ?? "";
  const offset = Number(params.get("offset") ?? "0");
  return {
    filters: {
      gold: gold === undefined ? "" : gold ? "gold" : "ordinary",
      flags: truth("open_flags") === true ? "open" : flagged === undefined ? "" : flagged ? "flagged" : "unflagged",
      status: (STATUSES as readonly string[]).includes(status) ? (status as Status) : "",
      model: (params.get("model") ?? "").slice(0, MAX_TEXT),
      q: (params.get("q") ?? "").slice(0, MAX_TEXT),
      ordering: (ORDERINGS as readonly string[]).includes(ordering) ? (ordering as Ordering) : NO_FILTERS.ordering,
    },
    offset: Number.isSafeInteger(offset) && offset > 0 ? offset : 0,
  };
}

/** Whether any filter narrows the list (the order does not). */
export function isFiltered(filters: ComparisonFilters): boolean {
  return filterParams(filters).toString() !== "";
}

/** The column an ordering sorts by, and which way. */
export function sortOf(ordering: Ordering): { key: SortColumn; direction: "asc" | "desc" } {
  return ordering.startsWith("-")
    ? { key: ordering.slice(1) as SortColumn, direction: "desc" }
    : { key: ordering as SortColumn, direction: "asc" };
}

/** The ordering after a click on a column's header: the same column flips; another starts at its
 * natural direction (ids oldest first; judgments and dates most and newest first). */
export function orderingAfterClick(current: Ordering, column: SortColumn): Ordering {
  const sort = sortOf(current);
  if (sort.key === column) return (sort.direction === "asc" ? `-${column}` : column) as Ordering;
  return (column === "id" ? column : `-${column}`) as Ordering;
}

/** Where a comparison stands against the overlap: no judgment yet, some, or all it wants. */
export function statusOf(row: Pick<ComparisonRow, "judgment_count" | "overlap">): Status {
  if (row.judgment_count === 0) return "unjudged";
  return row.judgment_count < row.overlap ? "partial" : "complete";
}

/** "1 of 3" judgments wanted (a gold comparison is judged by everyone: just the count). */
export function judgmentText(row: Pick<ComparisonRow, "judgment_count" | "overlap" | "is_gold">): string {
  return row.is_gold ? String(row.judgment_count) : `${row.judgment_count} of ${row.overlap}`;
}

/** The comparison browser's "Majority share" column: what `agreement` of a row is (not the
 * overview's raw agreement, the share of agreeing pairs of judgments). */
export const MAJORITY_SHARE_TITLE =
  "Share of people's counted judgments giving the most common main verdict (— under two). "
  + "Not the overview's raw agreement, which is the share of pairs of judgments that agree.";

/** The majority share, "67%" giving the most common verdict; "—" with fewer than two judgments. */
export function agreementText(agreement: number | null): string {
  return agreement === null ? "—" : `${Math.round(agreement * 100)}%`;
}

/** "2 open of 3", "1 resolved", or "" with no flag. */
export function flagText(row: Pick<ComparisonRow, "open_flags" | "flags">): string {
  if (row.flags === 0) return "";
  if (row.open_flags === 0) return `${row.flags} resolved`;
  return row.open_flags === row.flags ? `${row.flags} open` : `${row.open_flags} open of ${row.flags}`;
}

/** "1–50 of 312" for a page at `offset` showing `shown` rows. */
export function pageText(offset: number, shown: number, count: number): string {
  if (count === 0) return "no comparisons";
  if (shown === 0) return `none here: ${count} in all`;
  return `${offset + 1}–${offset + shown} of ${count}`;
}

/** The offset of the page before or after this one (never below 0). */
export function turnedOffset(offset: number, step: 1 | -1, size: number = PAGE_SIZE): number {
  return Math.max(0, offset + step * size);
}

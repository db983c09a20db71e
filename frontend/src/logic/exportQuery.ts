// The export and snapshot forms: their state, the filters they describe and the export URL's
// query string. Pure.

import { OVERALL } from "../generated/constants";
import type { Aggregation, ExportFilters, ExportFormat, ExportLabels, FileType, PairsMode } from "../types";

/** The filter inputs as typed: text for numbers and dates (empty = not set). */
export interface FilterForm {
  min_agreement: string;
  min_judgments: string;
  exclude_ties: boolean;
  exclude_gold: boolean;
  exclude_flagged: boolean;
  /** User ids. */
  exclude_annotators: number[];
  /** `<input type="datetime-local">` values, local time. */
  created_after: string;
  created_before: string;
  /** Empty: every model. */
  models: string[];
}

export interface ExportForm {
  format: ExportFormat;
  aggregation: Aggregation;
  pairs: PairsMode;
  file: FileType;
  conversational: boolean;
  include_winners: boolean;
  /** trl only: a row per verdict on each of these ("overall" = the main verdict), with a criterion column. */
  criteria: string[];
  /** Whose judgments: people's (the default), judges' or both; other than human, rows say their label_source. */
  labels: ExportLabels;
  filters: FilterForm;
}

export const EMPTY_FILTERS: FilterForm = {
  min_agreement: "",
  min_judgments: "",
  exclude_ties: false,
  exclude_gold: false,
  exclude_flagged: false,
  exclude_annotators: [],
  created_after: "",
  created_before: "",
  models: [],
};

export const DEFAULT_EXPORT: ExportForm = {
  format: "trl",
  aggregation: "majority",
  pairs: "all",
  file: "jsonl",
  conversational: false,
  // On, as snapshots have it: an sft file of a project without demonstrations was otherwise empty,
  // where the Data page's snapshot of the same format held every winning response.
  include_winners: true,
  criteria: [],
  labels: "human",
  filters: EMPTY_FILTERS,
};

/** What a project's export can be split by: the main verdict, then the project's own criteria. */
export function criteriaChoices(projectCriteria: string[]): string[] {
  return projectCriteria.length ? [OVERALL, ...projectCriteria] : [];
}

/** File types each format can be written as (labeling/exporters.py: CSV is for raw rows only). */
export function fileTypesFor(format: ExportFormat): FileType[] {
  return format === "raw" ? ["jsonl", "csv", "parquet"] : ["jsonl", "parquet"];
}

/** The filters that are set, as the API wants them; and what is wrong with the inputs. */
export function parseFilters(form: FilterForm): { filters: ExportFilters; errors: Record<string, string> } {
  const filters: ExportFilters = {};
  const errors: Record<string, string> = {};
  if (form.min_agreement.trim()) {
    const share = Number(form.min_agreement) / 100;
    if (Number.isFinite(share) && share >= 0 && share <= 1) filters.min_agreement = share;
    else errors.min_agreement = "a percentage from 0 to 100";
  }
  if (form.min_judgments.trim()) {
    const n = Number(form.min_judgments);
    if (Number.isInteger(n) && n >= 1) filters.min_judgments = n;
    else errors.min_judgments = "a whole number, at least 1";
  }
  if (form.exclude_ties) filters.exclude_ties = true;
  if (form.exclude_gold) filters.exclude_gold = true;
  if (form.exclude_flagged) filters.exclude_flagged = true;
  if (form.exclude_annotators.length) filters.exclude_annotators = [...form.exclude_annotators];
  for (const key of ["created_after", "created_before"] as const) {
    if (!form[key]) continue;
    const time = new Date(form[key]);
    if (Number.isNaN(time.getTime())) errors[key] = "a date and time";
    else filters[key] = time.toISOString();
  }
  if (form.created_after && form.created_before && filters.created_after && filters.created_before) {
    if (filters.created_after >= filters.created_before) errors.created_before = "must be after the start";
  }
  if (form.models.length) filters.models = [...form.models];
  return { filters, errors };
}

/** The query string for GET /api/projects/{id}/export/: options that differ from the defaults, then the filters. */
export function exportQuery(form: ExportForm): string {
  const params = new URLSearchParams({ format: form.format, file: form.file });
  if (form.aggregation !== "majority") params.set("aggregation", form.aggregation);
  if (form.pairs !== "all") params.set("pairs", form.pairs);
  if (form.conversational) params.set("conversational", "true");
  if (form.format === "sft" && form.include_winners) params.set("include_winners", "true");
  if (form.format === "trl") for (const name of form.criteria) params.append("criteria", name);
  if (form.labels !== "human") params.set("labels", form.labels);
  const { filters } = parseFilters(form.filters);
  for (const [key, value] of Object.entries(filters)) {
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.set(key, String(value));
  }
  return params.toString();
}

/** The file name the server will send, for the link's label. */
export function exportFileName(slug: string, form: ExportForm): string {
  return `${slug}-${form.format}.${form.file}`;
}

/** The same export as JSON Lines, one row a line: what `count=true` is asked of (the rows are the
 * same in every file type; a CSV header or Parquet's layout is no row). */
export function countQuery(form: ExportForm): string {
  return exportQuery({ ...form, file: "jsonl" });
}

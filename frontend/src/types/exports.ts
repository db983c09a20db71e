// Exports and snapshots (labeling/exports/api.py).

export type ExportFormat = "trl" | "hh-rlhf" | "kto" | "sft" | "raw";
export type Aggregation = "majority" | "mean-strength" | "dawid-skene" | "none";
export type PairsMode = "all" | "best-vs-rest";
export type FileType = "jsonl" | "parquet" | "csv";
/** Whose judgments an export reads: people's, judges' (models) or both; other than human, every
 * row has a label_source column (human, model or mixed). */
export type ExportLabels = "human" | "model" | "all";

/** The export filters (labeling/api/exports.py ExportFiltersSerializer). */
export interface ExportFilters {
  min_agreement?: number;
  min_judgments?: number;
  exclude_ties?: boolean;
  exclude_gold?: boolean;
  exclude_flagged?: boolean;
  /** User ids. */
  exclude_annotators?: number[];
  created_after?: string;
  created_before?: string;
  models?: string[];
}

/** pending (stored, waiting for a worker) -> running (being written) -> ready | failed. */
export type SnapshotStatus = "pending" | "running" | "ready" | "failed";

/** The export options a snapshot was written with. */
export interface SnapshotOptions {
  pairs: PairsMode;
  conversational: boolean;
  include_winners: boolean;
  file: "jsonl" | "parquet";
  /** trl: the criteria with rows of their own ("overall" = the main verdict); absent when none. */
  criteria?: string[];
  /** Whose judgments; absent for people's (the default). */
  labels?: ExportLabels;
}

/** GET /api/projects/{id}/snapshots/ and /api/snapshots/{id}/; POST answers 202 with a pending one. */
export interface Snapshot {
  id: number;
  project: number;
  format: ExportFormat;
  aggregation: Aggregation;
  options: SnapshotOptions;
  filters: ExportFilters;
  split_seed: number;
  validation_fraction: number;
  status: SnapshotStatus;
  /** Why it failed; empty otherwise. */
  error: string;
  /** Empty until ready. */
  sha256: string;
  /** {"train": n, "validation": m}; empty until ready. */
  row_counts: Record<string, number>;
  path: string;
  created_by: string | null;
  created_at: string;
  /** When a worker began writing it: the rows are those in the database then. */
  started_at: string | null;
  finished_at: string | null;
  /** Nothing had changed since a ready snapshot with the same options: no files written again,
   * this one reads that one's (`reused_from`: its id; null when it wrote its own). */
  reused: boolean;
  reused_from: number | null;
}

/** GET /api/projects/{id}/export/?…&count=true: what the export writes, counted without writing it. */
export interface ExportCount {
  rows: number;
  comparisons: number;
  /** Comparisons min_judgments or min_agreement passed over (the other filters act on judgments:
   * a comparison left with none is not counted here). */
  filtered_out: number;
}

/** POST /api/projects/{id}/snapshots/ */
export interface SnapshotCreate {
  format: ExportFormat;
  aggregation: Aggregation;
  pairs: PairsMode;
  conversational: boolean;
  include_winners: boolean;
  file: "jsonl" | "parquet";
  /** trl: rows per criterion verdict ("overall" = the main verdict). */
  criteria?: string[];
  /** Whose judgments (default human). */
  labels?: ExportLabels;
  split_seed: number;
  validation_fraction: number;
  filters?: ExportFilters;
}


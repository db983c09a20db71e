// Snapshots are written by a worker after the request that asked for one: the list is polled
// while any is still pending or running, and only ready ones can be trained on.

import { MAX_SPLIT_SEED } from "../generated/constants";
import type { Aggregation, ExportFormat, ExportLabels, Snapshot, SnapshotCreate, SnapshotStatus } from "../types";
import { EMPTY_FILTERS, type FilterForm, parseFilters } from "./exportQuery";

export const SNAPSHOT_POLL_MS = 2000;

/** A worker still has to finish it. */
export function inFlight(status: SnapshotStatus): boolean {
  return status === "pending" || status === "running";
}

/** How often to poll the snapshot list: quickly while one is being written, otherwise not at all. */
export function snapshotPollEvery(snapshots: Snapshot[] | null): number | null {
  return snapshots?.some((s) => inFlight(s.status)) ? SNAPSHOT_POLL_MS : null;
}

/** The snapshots a run of a stage reading `format` can train on (a reused one is offered as the
 * snapshot it reuses, not twice). */
export function trainable(snapshots: Snapshot[], format: string | null): Snapshot[] {
  return snapshots.filter((s) => s.status === "ready" && s.format === format && s.reused_from === null);
}

/** What a snapshot that wrote nothing says in place of its row: "unchanged since snapshot #3: reused";
 * null for one that wrote its own files. */
export function reusedText(snapshot: Snapshot): string | null {
  return snapshot.reused_from === null ? null : `unchanged since snapshot #${snapshot.reused_from}: reused`;
}

export const STATUS_LABELS: Record<SnapshotStatus, string> = {
  pending: "waiting for a worker",
  running: "writing",
  ready: "ready",
  failed: "failed",
};

/** The snapshot form's inputs, numbers as typed. */
export interface SnapshotFormValues {
  format: ExportFormat;
  aggregation: Aggregation;
  file: "jsonl" | "parquet";
  /** Whose judgments: people's (the default), judges' or both. */
  labels: ExportLabels;
  /** Split seed, 0..MAX_SPLIT_SEED. */
  seed: string;
  /** Percent of prompts held out for validation, 0..99. */
  validation: string;
  filters: FilterForm;
}

export const NEW_SNAPSHOT: SnapshotFormValues = {
  format: "trl",
  aggregation: "majority",
  file: "jsonl",
  labels: "human",
  seed: "0",
  validation: "10",
  filters: EMPTY_FILTERS,
};

/** The request the form asks for, and what is wrong with its inputs (empty: it can be sent). */
export function snapshotRequest(values: SnapshotFormValues): { body: SnapshotCreate; problems: string[]; errors: Record<string, string> } {
  const { filters, errors } = parseFilters(values.filters);
  const seed = Number(values.seed);
  const fraction = Number(values.validation) / 100;
  const problems = [
    ...(Number.isInteger(seed) && seed >= 0 && seed <= MAX_SPLIT_SEED ? [] : [`the split seed is a whole number from 0 to ${MAX_SPLIT_SEED}`]),
    ...(fraction >= 0 && fraction < 1 && values.validation.trim() !== "" ? [] : ["validation is 0 to 99 %"]),
    ...Object.values(errors),
  ];
  const { format, aggregation, file } = values;
  const body: SnapshotCreate = {
    format, aggregation, file, pairs: "all", conversational: format === "trl" || format === "kto",
    include_winners: format === "sft", split_seed: seed, validation_fraction: fraction, filters,
    ...(values.labels !== "human" ? { labels: values.labels } : {}),
  };
  return { body, problems, errors };
}

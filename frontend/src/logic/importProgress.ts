// A queued import's life as the import panel shows it (labeling/imports/queued.py): waiting for
// a worker, running with its progress, then done or failed with the line named. Pure.
import type { DataImport } from "../types";

export type ImportPhase =
  | { kind: "waiting" }
  | { kind: "running"; read: number; total: number; fraction: number }
  | { kind: "done" }
  | { kind: "failed"; error: string };

/** Where an import is; `total` is the file's line count the server counted on upload. */
export function importPhase(item: DataImport): ImportPhase {
  if (item.status === "done") return { kind: "done" };
  if (item.status === "failed") return { kind: "failed", error: item.error || "the import failed" };
  if (item.status === "queued") return { kind: "waiting" };
  const total = item.counts.lines ?? 0;
  const read = Math.min(item.lines_read, total || item.lines_read);
  return { kind: "running", read, total, fraction: total > 0 ? read / total : 0 };
}

/** Whether a worker still has it (queued or running): the list is polled while one does. */
export function importActive(item: DataImport): boolean {
  return item.status === "queued" || item.status === "running";
}

/** Milliseconds between polls of the import list: often while an import runs, else not at all. */
export function importPollEvery(items: DataImport[] | null): number | null {
  return items?.some(importActive) ? 1000 : null;
}

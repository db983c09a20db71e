// Snapshots are written by a worker after the request that asked for one: the list is polled
// while any is still pending or running, and only ready ones can be trained on.

import type { Snapshot, SnapshotStatus } from "../types";

export const SNAPSHOT_POLL_MS = 2000;

/** A worker still has to finish it. */
export function inFlight(status: SnapshotStatus): boolean {
  return status === "pending" || status === "running";
}

/** How often to poll the snapshot list: quickly while one is being written, otherwise not at all. */
export function snapshotPollEvery(snapshots: Snapshot[] | null): number | null {
  return snapshots?.some((s) => inFlight(s.status)) ? SNAPSHOT_POLL_MS : null;
}

/** The snapshots a run of a stage reading `format` can train on. */
export function trainable(snapshots: Snapshot[], format: string | null): Snapshot[] {
  return snapshots.filter((s) => s.status === "ready" && s.format === format);
}

export const STATUS_LABELS: Record<SnapshotStatus, string> = {
  pending: "waiting for a worker",
  running: "writing",
  ready: "ready",
  failed: "failed",
};

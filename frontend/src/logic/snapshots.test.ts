import { describe, expect, it } from "vitest";
import type { Snapshot, SnapshotStatus } from "../types";
import { NEW_SNAPSHOT, SNAPSHOT_POLL_MS, inFlight, reusedText, snapshotPollEvery, snapshotRequest, trainable } from "./snapshots";

function snapshot(id: number, status: SnapshotStatus, format: Snapshot["format"] = "trl"): Snapshot {
  return {
    id, project: 1, format, aggregation: "majority",
    options: { pairs: "all", conversational: true, include_winners: false, file: "jsonl" },
    filters: {}, split_seed: 0, validation_fraction: 0.1, status, error: "", sha256: status === "ready" ? "ab".repeat(32) : "",
    row_counts: {}, path: `snapshots/${id}`, created_by: null, created_at: "2026-01-01T00:00:00Z", started_at: null, finished_at: null,
    reused: false, reused_from: null,
  };
}

describe("snapshots", () => {
  it("counts pending and running as still being written", () => {
    expect(["pending", "running", "ready", "failed"].map((s) => inFlight(s as SnapshotStatus))).toEqual([true, true, false, false]);
  });

  it("polls while any snapshot is being written, and stops when all are done", () => {
    expect(snapshotPollEvery(null)).toBeNull();
    expect(snapshotPollEvery([])).toBeNull();
    expect(snapshotPollEvery([snapshot(1, "ready"), snapshot(2, "pending")])).toBe(SNAPSHOT_POLL_MS);
    expect(snapshotPollEvery([snapshot(1, "ready"), snapshot(2, "running")])).toBe(SNAPSHOT_POLL_MS);
    expect(snapshotPollEvery([snapshot(1, "ready"), snapshot(2, "failed")])).toBeNull();
  });

  it("says a snapshot reused another's files in place of a second identical row, and offers runs the first", () => {
    const reused = { ...snapshot(6, "ready"), reused: true, reused_from: 1 };
    expect(reusedText(reused)).toBe("unchanged since snapshot #1: reused");
    expect(reusedText(snapshot(1, "ready"))).toBeNull();
    expect(trainable([snapshot(1, "ready"), reused], "trl").map((s) => s.id)).toEqual([1]);
  });

  it("offers runs only ready snapshots of the format their stage reads", () => {
    const all = [snapshot(1, "ready"), snapshot(2, "pending"), snapshot(3, "failed"), snapshot(4, "ready", "sft"), snapshot(5, "ready")];
    expect(trainable(all, "trl").map((s) => s.id)).toEqual([1, 5]);
    expect(trainable(all, "sft").map((s) => s.id)).toEqual([4]);
    expect(trainable(all, null)).toEqual([]);
  });
});

describe("the snapshot form's request", () => {
  it("sends the defaults as a 10 % split on seed 0, message lists for trl", () => {
    const { body, problems } = snapshotRequest(NEW_SNAPSHOT);
    expect(problems).toEqual([]);
    expect(body).toMatchObject({ format: "trl", split_seed: 0, validation_fraction: 0.1, conversational: true, include_winners: false, filters: {} });
  });

  it("names what is wrong: the seed, the validation share and the filters", () => {
    const { problems, errors } = snapshotRequest({
      ...NEW_SNAPSHOT, seed: "1.5", validation: "100", filters: { ...NEW_SNAPSHOT.filters, min_judgments: "0" },
    });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain("split seed");
    expect(errors).toEqual({ min_judgments: "a whole number, at least 1" });
    expect(snapshotRequest({ ...NEW_SNAPSHOT, format: "sft" }).body.include_winners).toBe(true);
  });

  it("asks for judges' labels only when they are not people's", () => {
    expect(snapshotRequest(NEW_SNAPSHOT).body).not.toHaveProperty("labels");
    expect(snapshotRequest({ ...NEW_SNAPSHOT, labels: "all" }).body.labels).toBe("all");
  });
});

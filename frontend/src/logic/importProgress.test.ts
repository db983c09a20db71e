import { describe, expect, it } from "vitest";
import type { DataImport } from "../types";
import { importActive, importPhase, importPollEvery } from "./importProgress";

function row(fields: Partial<DataImport>): DataImport {
  return {
    id: 1, format: "candidates", file_name: "big.jsonl", file_sha256: "", with_labels: false,
    counts: { lines: 200 } as DataImport["counts"], skipped: [], created_at: "2026-12-07T00:00:00Z",
    status: "done", lines_read: 0, error: "", finished_at: null, ...fields,
  };
}

describe("importPhase", () => {
  it("waits for a worker while queued", () => {
    expect(importPhase(row({ status: "queued" }))).toEqual({ kind: "waiting" });
  });
  it("runs with the share of the file's lines read", () => {
    expect(importPhase(row({ status: "running", lines_read: 50 }))).toEqual({ kind: "running", read: 50, total: 200, fraction: 0.25 });
  });
  it("never shows more than the whole file, nor divides by an unknown total", () => {
    expect(importPhase(row({ status: "running", lines_read: 250 }))).toMatchObject({ read: 200, fraction: 1 });
    expect(importPhase(row({ status: "running", lines_read: 5, counts: {} as DataImport["counts"] }))).toMatchObject({ read: 5, fraction: 0 });
  });
  it("fails with the server's message, which names the line", () => {
    expect(importPhase(row({ status: "failed", error: "line 17: missing field 'prompt'" }))).toEqual({
      kind: "failed", error: "line 17: missing field 'prompt'",
    });
    expect(importPhase(row({ status: "failed" }))).toEqual({ kind: "failed", error: "the import failed" });
  });
});

describe("importPollEvery", () => {
  it("polls while a worker has an import, and stops after", () => {
    expect(importPollEvery([row({}), row({ status: "running" })])).toBe(1000);
    expect(importPollEvery([row({}), row({ status: "failed" })])).toBeNull();
    expect(importPollEvery(null)).toBeNull();
    expect(importActive(row({ status: "queued" }))).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import type { Project } from "../types";
import {
  NEW_PROJECT,
  changedFields,
  listEntries,
  projectFormValues,
  projectPayload,
  serverFieldErrors,
  slugify,
  standingErrors,
  withComparisonKind,
} from "./projectForm";

const PROJECT: Project = {
  id: 1, slug: "chat", name: "Chat", guidelines: "Be kind.", task_type: "pairwise", responses_per_comparison: 2,
  overlap: 3, allow_ties: true, strength_scale: ["better", "much better"], criteria: ["helpful"], lease_minutes: 15,
  gold_rate: 0.05, collect_demonstrations: false, judge_priority: true, created_at: "2026-01-01T00:00:00Z", role: "admin",
};

describe("project form", () => {
  it("round-trips a project through the form unchanged", () => {
    const { payload, errors } = projectPayload(projectFormValues(PROJECT), false);
    expect(errors).toEqual({});
    expect(changedFields(PROJECT, payload)).toEqual({});
  });

  it("sends only what changed", () => {
    const values = { ...projectFormValues(PROJECT), overlap: "5", criteria: "helpful, harmless", gold_percent: "10" };
    expect(changedFields(PROJECT, projectPayload(values, false).payload)).toEqual({
      overlap: 5, criteria: ["helpful", "harmless"], gold_rate: 0.1,
    });
  });

  it("sends the judges' priority when it is turned off", () => {
    const values = { ...projectFormValues(PROJECT), judge_priority: false };
    expect(changedFields(PROJECT, projectPayload(values, false).payload)).toEqual({ judge_priority: false });
  });

  it("checks numbers, duplicates and the slug like the server", () => {
    const { errors } = projectPayload(
      { ...NEW_PROJECT, name: " ", slug: "Bad Slug", overlap: "0", gold_percent: "120", lease_minutes: "2.5", criteria: "a\na" },
      true,
    );
    expect(Object.keys(errors).sort()).toEqual(["criteria", "gold_percent", "lease_minutes", "name", "overlap", "slug"]);
  });

  it("takes the server's ranges: a week's lease and overlap to 1000 pass, one more does not", () => {
    const base = { ...NEW_PROJECT, name: "x", slug: "x" };
    const ok = projectPayload({ ...base, lease_minutes: "10080", overlap: "1000" }, true);
    expect(ok.errors).toEqual({});
    expect([ok.payload.lease_minutes, ok.payload.overlap]).toEqual([10080, 1000]);
    expect(Object.keys(projectPayload({ ...base, lease_minutes: "10081", overlap: "1001" }, true).errors).sort()).toEqual(["lease_minutes", "overlap"]);
  });

  it("fixes K at 2 for pairwise and asks for 3 to 26 for rankings", () => {
    expect(projectPayload({ ...NEW_PROJECT, name: "x", slug: "x", responses_per_comparison: "9" }, true).payload.responses_per_comparison).toBe(2);
    const ranking = { ...NEW_PROJECT, name: "x", slug: "x", task_type: "ranking" as const };
    expect(projectPayload({ ...ranking, responses_per_comparison: "4" }, true).payload.responses_per_comparison).toBe(4);
    expect(projectPayload({ ...ranking, responses_per_comparison: "2" }, true).errors.responses_per_comparison).toBeDefined();
  });

  it("switches to a ranking with at least 3 responses, and K as typed otherwise", () => {
    const ranking = withComparisonKind({ ...NEW_PROJECT, name: "x", slug: "x" }, "ranking");
    expect(ranking.responses_per_comparison).toBe("3");
    expect(projectPayload(ranking, true).errors).toEqual({});
    expect(withComparisonKind({ ...ranking, responses_per_comparison: "5" }, "ranking").responses_per_comparison).toBe("5");
    expect(withComparisonKind({ ...ranking, responses_per_comparison: "" }, "ranking").responses_per_comparison).toBe("3");
    const back = withComparisonKind({ ...ranking, responses_per_comparison: "5" }, "pairwise");
    expect(back).toMatchObject({ task_type: "pairwise", responses_per_comparison: "5" });
    expect(projectPayload(back, true).payload.responses_per_comparison).toBe(2);
  });

  it("sends a new ranking project no strength scale, and leaves an existing one's alone", () => {
    const ranking = withComparisonKind({ ...NEW_PROJECT, name: "x", slug: "x" }, "ranking");
    expect(projectPayload(ranking, true).payload.strength_scale).toEqual([]);
    expect(projectPayload({ ...ranking, strength_scale: "a\na" }, true).errors).toEqual({});
    const stored: Project = { ...PROJECT, task_type: "ranking", responses_per_comparison: 3 };
    expect(changedFields(stored, projectPayload(projectFormValues(stored), false).payload)).toEqual({});
    expect(projectPayload(NEW_PROJECT, true).payload.strength_scale).toEqual(["slightly better", "better", "much better"]);
  });

  it("makes slugs and lists", () => {
    expect(slugify("Helpful chat, v2!")).toBe("helpful-chat-v2");
    expect(slugify("Café au lait")).toBe("cafe-au-lait");
    expect(listEntries("a, b ,, c")).toEqual(["a", "b", "c"]);
    expect(listEntries("slightly better\n\nmuch better, really\n")).toEqual(["slightly better", "much better, really"]);
  });
});

describe("the server's field errors", () => {
  it("puts each next to its input, gold's on the percentage, the rest in one message", () => {
    const { fields, rest } = serverFieldErrors({
      slug: ["project with this slug already exists."],
      gold_rate: ["Ensure this value is less than or equal to 1."],
      criteria: { 0: ["This field may not be blank."] },
      task_type: ['"triples" is not a valid choice.'],
      non_field_errors: ["Something about the whole."],
      detail: "slug: project with this slug already exists.; gold_rate: ...", // the server's summary of the same
      code: "invalid",
      field: "slug",
    });
    expect(fields).toEqual({
      slug: "project with this slug already exists.",
      gold_percent: "Ensure this value is less than or equal to 1.",
      criteria: "This field may not be blank.",
    });
    expect(rest).toBe('task type: "triples" is not a valid choice.; Something about the whole.');
  });

  it("keeps a domain error's detail as the form's message", () => {
    expect(serverFieldErrors({ detail: "a project with slug 'x' exists", code: "invalid" })).toEqual({
      fields: {},
      rest: "a project with slug 'x' exists",
    });
  });

  it("puts a domain error that names its field next to that input", () => {
    expect(serverFieldErrors({ detail: "overlap must be from 1 to 1000", code: "invalid", field: "overlap" })).toEqual({
      fields: { overlap: "overlap must be from 1 to 1000" },
      rest: "",
    });
    expect(serverFieldErrors({ detail: "gold_rate must be from 0 to 1", code: "invalid", field: "gold_rate" }).fields).toEqual({
      gold_percent: "gold_rate must be from 0 to 1",
    });
    expect(serverFieldErrors({ detail: "sent twice", code: "conflict", field: "webhook", reason: "x" })).toEqual({
      fields: {},
      rest: "sent twice",
    });
  });

  it("drops an error once its input changes", () => {
    const sent = { ...NEW_PROJECT, name: "A", slug: "a" };
    const server = { slug: "taken", name: "too long" };
    expect(standingErrors(server, sent, { ...sent, slug: "b" })).toEqual({ name: "too long" });
    expect(standingErrors(server, sent, sent)).toEqual(server);
  });
});

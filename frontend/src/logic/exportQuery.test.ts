import { describe, expect, it } from "vitest";
import {
  countQuery,
  criteriaChoices,
  DEFAULT_EXPORT,
  EMPTY_FILTERS,
  exportFileName,
  exportQuery,
  fileTypesFor,
  parseFilters,
} from "./exportQuery";

describe("export query", () => {
  it("asks for format and file only when nothing else was changed", () => {
    expect(exportQuery(DEFAULT_EXPORT)).toBe("format=trl&file=jsonl");
  });

  it("adds changed options and every set filter; lists repeat their key", () => {
    const query = exportQuery({
      ...DEFAULT_EXPORT,
      format: "raw",
      file: "csv",
      aggregation: "none",
      conversational: true,
      filters: { ...EMPTY_FILTERS, min_agreement: "75", exclude_ties: true, exclude_flagged: true, exclude_annotators: [3, 9], models: ["gpt-4o", "llama 3"] },
    });
    const params = new URLSearchParams(query);
    expect(params.get("format")).toBe("raw");
    expect(params.get("file")).toBe("csv");
    expect(params.get("aggregation")).toBe("none");
    expect(params.get("conversational")).toBe("true");
    expect(params.get("min_agreement")).toBe("0.75");
    expect(params.get("exclude_ties")).toBe("true");
    expect(params.getAll("exclude_annotators")).toEqual(["3", "9"]);
    expect(params.getAll("models")).toEqual(["gpt-4o", "llama 3"]);
    expect(params.get("exclude_flagged")).toBe("true");
    expect(params.has("exclude_gold")).toBe(false);
  });

  it("adds the winning responses to an sft file unless unticked, as a snapshot does, and to nothing else", () => {
    expect(new URLSearchParams(exportQuery({ ...DEFAULT_EXPORT, format: "sft" })).get("include_winners")).toBe("true");
    expect(exportQuery({ ...DEFAULT_EXPORT, format: "sft", include_winners: false })).not.toContain("include_winners");
    expect(exportQuery({ ...DEFAULT_EXPORT, format: "kto" })).not.toContain("include_winners");
  });

  it("asks for rows per criterion for trl only", () => {
    const perCriterion = { ...DEFAULT_EXPORT, criteria: ["overall", "harmless"] };
    expect(new URLSearchParams(exportQuery(perCriterion)).getAll("criteria")).toEqual(["overall", "harmless"]);
    expect(exportQuery({ ...perCriterion, format: "kto" })).not.toContain("criteria");
    expect(criteriaChoices(["helpful", "harmless"])).toEqual(["overall", "helpful", "harmless"]);
    expect(criteriaChoices([])).toEqual([]);
  });

  it("asks for judges' labels only when they are not people's", () => {
    expect(exportQuery({ ...DEFAULT_EXPORT, labels: "human" })).not.toContain("labels");
    expect(new URLSearchParams(exportQuery({ ...DEFAULT_EXPORT, labels: "model" })).get("labels")).toBe("model");
    expect(new URLSearchParams(countQuery({ ...DEFAULT_EXPORT, labels: "all", file: "parquet" })).get("labels")).toBe("all");
  });

  it("offers CSV for raw rows only", () => {
    expect(fileTypesFor("raw")).toContain("csv");
    expect(fileTypesFor("trl")).not.toContain("csv");
  });

  it("names the file as the server does", () => {
    expect(exportFileName("chat", DEFAULT_EXPORT)).toBe("chat-trl.jsonl");
  });
});

describe("filters", () => {
  it("reads agreement as a percentage and dates as local time", () => {
    const { filters, errors } = parseFilters({ ...EMPTY_FILTERS, min_agreement: "60", min_judgments: "2", created_after: "2025-03-01T09:30" });
    expect(errors).toEqual({});
    expect(filters.min_agreement).toBeCloseTo(0.6);
    expect(filters.min_judgments).toBe(2);
    expect(filters.created_after).toBe(new Date("2025-03-01T09:30").toISOString());
  });

  it("says what is wrong", () => {
    const { errors } = parseFilters({
      ...EMPTY_FILTERS, min_agreement: "150", min_judgments: "0.5", created_after: "2025-03-02T00:00", created_before: "2025-03-01T00:00",
    });
    expect(Object.keys(errors).sort()).toEqual(["created_before", "min_agreement", "min_judgments"]);
  });

  it("sets nothing for an empty form", () => {
    expect(parseFilters(EMPTY_FILTERS)).toEqual({ filters: {}, errors: {} });
  });
});

describe("counting an export's rows", () => {
  it("counts the JSON Lines form of whatever file was chosen (a CSV header or Parquet is no row)", () => {
    const params = new URLSearchParams(countQuery({ ...DEFAULT_EXPORT, format: "raw", file: "csv", aggregation: "none" }));
    expect(params.get("file")).toBe("jsonl");
    expect(params.get("aggregation")).toBe("none");
  });
});

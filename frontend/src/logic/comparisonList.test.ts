import { describe, expect, it } from "vitest";
import {
  type ComparisonFilters,
  MAJORITY_SHARE_TITLE,
  NO_FILTERS,
  agreementText,
  filtersFromSearch,
  flagText,
  isFiltered,
  judgmentText,
  listQuery,
  orderingAfterClick,
  pageText,
  searchFor,
  sortOf,
  statusOf,
  turnedOffset,
} from "./comparisonList";

const ALL: ComparisonFilters = { gold: "gold", flags: "open", status: "partial", model: "llama-7b", q: " où est ", ordering: "-judgment_count" };

describe("the list's query", () => {
  it("asks for the default page with no filter", () => {
    expect(listQuery(NO_FILTERS, 0)).toBe("ordering=id&limit=50&offset=0");
  });

  it("names each filter as the API does, the search trimmed", () => {
    const params = new URLSearchParams(listQuery(ALL, 100, 25));
    expect(Object.fromEntries(params)).toEqual({
      gold: "true", open_flags: "true", status: "partial", model: "llama-7b", q: "où est",
      ordering: "-judgment_count", limit: "25", offset: "100",
    });
  });

  it("maps the flag choices to flagged=true, flagged=false and open_flags=true", () => {
    const flags = (f: ComparisonFilters["flags"]) => Object.fromEntries(new URLSearchParams(listQuery({ ...NO_FILTERS, flags: f }, 0)));
    expect(flags("flagged").flagged).toBe("true");
    expect(flags("unflagged").flagged).toBe("false");
    expect(flags("open")).toMatchObject({ open_flags: "true" });
    expect(flags("open").flagged).toBeUndefined();
    expect(new URLSearchParams(listQuery({ ...NO_FILTERS, gold: "ordinary" }, 0)).get("gold")).toBe("false");
  });

  it("leaves out a blank search and cuts a long one to the server's limit", () => {
    expect(new URLSearchParams(listQuery({ ...NO_FILTERS, q: "   " }, 0)).has("q")).toBe(false);
    expect(new URLSearchParams(listQuery({ ...NO_FILTERS, q: "x".repeat(300) }, 0)).get("q")).toHaveLength(200);
  });

  it("escapes what the search holds", () => {
    const query = listQuery({ ...NO_FILTERS, q: "a&b=c #1 100%" }, 0);
    expect(new URLSearchParams(query).get("q")).toBe("a&b=c #1 100%");
    expect(query).not.toContain("&b=");
  });
});

describe("the address", () => {
  it("is empty for the first, unfiltered page and round-trips every filter", () => {
    expect(searchFor(NO_FILTERS, 0)).toBe("");
    const search = searchFor(ALL, 150);
    expect(filtersFromSearch(search)).toEqual({ filters: { ...ALL, q: "où est" }, offset: 150 });
    for (const flags of ["flagged", "unflagged", "open", ""] as const) {
      for (const gold of ["gold", "ordinary", ""] as const) {
        const filters = { ...NO_FILTERS, flags, gold };
        expect(filtersFromSearch(searchFor(filters, 0)).filters).toEqual(filters);
      }
    }
  });

  it("reads what it does not understand as the default, never failing", () => {
    const read = filtersFromSearch("?gold=maybe&status=done&ordering=prompt&offset=-5&flagged=1&compare=3");
    expect(read).toEqual({ filters: { ...NO_FILTERS, flags: "flagged" }, offset: 0 });
    expect(filtersFromSearch("?offset=2.5").offset).toBe(0);
    expect(filtersFromSearch("?offset=1e400").offset).toBe(0);
    expect(filtersFromSearch("").filters).toEqual(NO_FILTERS);
    expect(filtersFromSearch(`?q=${"y".repeat(500)}`).filters.q).toHaveLength(200);
  });

  it("says whether anything narrows the list", () => {
    expect(isFiltered(NO_FILTERS)).toBe(false);
    expect(isFiltered({ ...NO_FILTERS, ordering: "-id" })).toBe(false);
    expect(isFiltered({ ...NO_FILTERS, q: "  " })).toBe(false);
    expect(isFiltered({ ...NO_FILTERS, model: "m" })).toBe(true);
  });
});

describe("sorting by a column", () => {
  it("reads an ordering as a column and a direction", () => {
    expect(sortOf("id")).toEqual({ key: "id", direction: "asc" });
    expect(sortOf("-created_at")).toEqual({ key: "created_at", direction: "desc" });
  });

  it("flips the same column and starts another at its natural direction", () => {
    expect(orderingAfterClick("id", "id")).toBe("-id");
    expect(orderingAfterClick("-id", "id")).toBe("id");
    expect(orderingAfterClick("id", "judgment_count")).toBe("-judgment_count");
    expect(orderingAfterClick("-judgment_count", "judgment_count")).toBe("judgment_count");
    expect(orderingAfterClick("-judgment_count", "created_at")).toBe("-created_at");
    expect(orderingAfterClick("-created_at", "id")).toBe("id");
  });
});

describe("a row's words", () => {
  it("places the judgments against the overlap", () => {
    expect(statusOf({ judgment_count: 0, overlap: 3 })).toBe("unjudged");
    expect(statusOf({ judgment_count: 2, overlap: 3 })).toBe("partial");
    expect(statusOf({ judgment_count: 3, overlap: 3 })).toBe("complete");
    expect(statusOf({ judgment_count: 5, overlap: 3 })).toBe("complete");
    expect(judgmentText({ judgment_count: 1, overlap: 3, is_gold: false })).toBe("1 of 3");
    expect(judgmentText({ judgment_count: 7, overlap: 3, is_gold: true })).toBe("7");
  });

  it("gives agreement as a percentage, or a dash under two judgments", () => {
    expect(agreementText(null)).toBe("—");
    expect(agreementText(2 / 3)).toBe("67%");
    expect(agreementText(1)).toBe("100%");
  });

  it("explains the majority share apart from the overview's raw agreement", () => {
    expect(MAJORITY_SHARE_TITLE).toContain("most common main verdict");
    expect(MAJORITY_SHARE_TITLE).toContain("Not the overview's raw agreement");
  });

  it("counts flags open and resolved", () => {
    expect(flagText({ open_flags: 0, flags: 0 })).toBe("");
    expect(flagText({ open_flags: 2, flags: 2 })).toBe("2 open");
    expect(flagText({ open_flags: 1, flags: 3 })).toBe("1 open of 3");
    expect(flagText({ open_flags: 0, flags: 1 })).toBe("1 resolved");
  });

  it("names the page and turns it", () => {
    expect(pageText(0, 50, 312)).toBe("1–50 of 312");
    expect(pageText(300, 12, 312)).toBe("301–312 of 312");
    expect(pageText(0, 0, 0)).toBe("no comparisons");
    expect(pageText(400, 0, 312)).toBe("none here: 312 in all");
    expect(turnedOffset(50, -1)).toBe(0);
    expect(turnedOffset(20, -1)).toBe(0);
    expect(turnedOffset(50, 1)).toBe(100);
  });
});

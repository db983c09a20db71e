import { describe, expect, it } from "vitest";
import { hrefFor, matchRoute } from "./router";

describe("routes", () => {
  it("matches the screens and round-trips their links", () => {
    expect(matchRoute("/")).toEqual({ name: "projects" });
    expect(matchRoute("/projects/12/annotate")).toEqual({ name: "annotate", projectId: 12 });
    expect(matchRoute("/projects/12/annotate/")).toEqual({ name: "annotate", projectId: 12 });
    expect(hrefFor({ name: "annotate", projectId: 12 })).toBe("/projects/12/annotate");
    expect(matchRoute("/projects/x/annotate")).toEqual({ name: "notFound", path: "/projects/x/annotate" });
  });

  it("has the review screen at /projects/<id>/review", () => {
    expect(matchRoute("/projects/7/review")).toEqual({ name: "review", projectId: 7 });
    expect(matchRoute("/projects/7/review/")).toEqual({ name: "review", projectId: 7 });
    expect(hrefFor({ name: "review", projectId: 7 })).toBe("/projects/7/review");
  });

  it("matches the dashboard's tabs and run pages", () => {
    expect(matchRoute("/projects/3/dashboard")).toEqual({ name: "dashboard", projectId: 3, tab: "overview" });
    expect(matchRoute("/projects/3/dashboard/leaderboard/")).toEqual({ name: "dashboard", projectId: 3, tab: "leaderboard" });
    expect(matchRoute("/projects/3/dashboard/training/runs/41")).toEqual({
      name: "dashboard", projectId: 3, tab: "training", runId: 41,
    });
    expect(matchRoute("/projects/3/dashboard/secrets")).toEqual({ name: "notFound", path: "/projects/3/dashboard/secrets" });
    expect(matchRoute("/projects/new")).toEqual({ name: "newProject" });
    for (const path of ["/projects/3/dashboard", "/projects/3/dashboard/data", "/projects/3/dashboard/data/members", "/projects/3/dashboard/training/runs/41", "/projects/new"]) {
      expect(hrefFor(matchRoute(path))).toBe(path);
    }
  });

  it("gives one comparison, opened from the overview, an address of its own", () => {
    expect(matchRoute("/projects/3/dashboard/comparisons/57/")).toEqual({
      name: "dashboard", projectId: 3, tab: "overview", comparisonId: 57,
    });
    expect(hrefFor({ name: "dashboard", projectId: 3, tab: "overview", comparisonId: 57 })).toBe("/projects/3/dashboard/comparisons/57");
    expect(matchRoute("/projects/3/dashboard/comparisons/x").name).toBe("notFound");
  });

  it("gives each of the Data tab's sections an address of its own", () => {
    expect(matchRoute("/projects/3/dashboard/data/export/")).toEqual({ name: "dashboard", projectId: 3, tab: "data", section: "export" });
    expect(matchRoute("/projects/3/dashboard/data")).toEqual({ name: "dashboard", projectId: 3, tab: "data" });
    expect(matchRoute("/projects/3/dashboard/data/secrets").name).toBe("notFound");
    expect(hrefFor({ name: "dashboard", projectId: 3, tab: "data", section: "snapshots" })).toBe("/projects/3/dashboard/data/snapshots");
  });

  it("has the comparison browser among the Data tab's sections", () => {
    expect(matchRoute("/projects/3/dashboard/data/comparisons")).toEqual({ name: "dashboard", projectId: 3, tab: "data", section: "comparisons" });
    expect(hrefFor({ name: "dashboard", projectId: 3, tab: "data", section: "comparisons" })).toBe("/projects/3/dashboard/data/comparisons");
    expect(matchRoute("/projects/3/dashboard/comparisons").name).toBe("notFound");
  });
});

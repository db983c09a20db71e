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
});

import { describe, expect, it } from "vitest";
import { leaseNotice } from "./leaseNotice";

describe("leaseNotice", () => {
  it("says nothing while there is time, or with no lease", () => {
    expect(leaseNotice(10 * 60_000, 15)).toBeNull();
    expect(leaseNotice(120_000, 15)).toBeNull();
    expect(leaseNotice(Infinity, 15)).toBeNull();
  });

  it("warns in the last two minutes of a long hold", () => {
    expect(leaseNotice(119_000, 15)).toEqual({ kind: "ending", text: "Your hold on this comparison ends in 2 min — submit soon." });
    expect(leaseNotice(30_000, 15)?.text).toContain("ends in under a minute");
  });

  it("warns only in the last quarter of a short hold, not from its first second", () => {
    expect(leaseNotice(2 * 60_000 - 1000, 2)).toBeNull(); // just leased
    expect(leaseNotice(60_000, 2)).toBeNull();
    expect(leaseNotice(29_000, 2)?.kind).toBe("ending");
    expect(leaseNotice(50_000, 1)).toBeNull();
    expect(leaseNotice(14_000, 1)?.kind).toBe("ending");
  });

  it("says a hold that ended has expired, and what a submit then does", () => {
    for (const left of [0, -1, -10 * 60_000]) {
      const notice = leaseNotice(left, 15);
      expect(notice?.kind).toBe("expired");
      expect(notice?.text).toContain("has expired");
      expect(notice?.text).not.toContain("0 min");
      expect(notice?.text).toContain("unless other annotators have since taken every seat");
    }
  });
});

// What the dock says about the annotator's hold (lease) on the comparison on screen.

/** The warning starts this long before the hold ends, at most… */
const WARN_MAX_MS = 120_000;
/** …and never before the last quarter of the hold: a 2-minute lease warned from its first second. */
const WARN_SHARE = 0.25;

export type LeaseNotice =
  | { kind: "ending"; text: string }
  | { kind: "expired"; text: string };

/** The notice for a hold of `leaseMinutes` with `leftMs` to go (negative: past), or null while
 * there is time. Past its end a submit is still stored if nobody took the seat meanwhile (the
 * server re-takes it: labeling/annotation/judgments.py), and refused if others filled every seat. */
export function leaseNotice(leftMs: number, leaseMinutes: number): LeaseNotice | null {
  if (!Number.isFinite(leftMs)) return null;
  if (leftMs <= 0) {
    return {
      kind: "expired",
      text: "Your hold on this comparison has expired: a submit is still saved, unless other annotators have since taken every seat on it.",
    };
  }
  if (leftMs >= Math.min(WARN_MAX_MS, leaseMinutes * 60_000 * WARN_SHARE)) return null;
  const when = leftMs < 60_000 ? "in under a minute" : `in ${Math.ceil(leftMs / 60_000)} min`;
  return { kind: "ending", text: `Your hold on this comparison ends ${when} — submit soon.` };
}

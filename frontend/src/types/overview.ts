// The admin dashboard's overview (labeling/projects/overview_api.py) and the flags it reviews.

import type { FlagReason } from "./annotation";

/** GET /api/projects/{id}/overview/ */
export interface Overview {
  project: number;
  generated_at: string;
  comparisons: {
    /** Regular (non-gold) comparisons. */
    total: number;
    /** With at least `overlap` judgments. */
    complete: number;
    /** With some judgments, fewer than `overlap`. */
    partial: number;
    gold: number;
    overlap: number;
  };
  judgments: {
    total: number;
    ties: number;
    /** Of total, imported labels: no one's work here, so not in the skip and flag rates. */
    imported: number;
    last_24h: number;
    annotators_24h: number;
    /** The last 24 clock hours (UTC), oldest first; the last is the current hour. */
    per_hour: { hour: string; count: number }[];
    /** Judgments by judges (models labelling comparisons): not in the figures above. */
    by_judges: number;
    /** Judgments rejected in review: kept for the audit trail, counted nowhere. */
    rejected: number;
  };
  leases: { in_flight: number; annotators_in_flight: number; skipped: number };
  /** finished_flagged: finished comparisons their annotator flagged, each once (the rate's numerator). */
  flags: { total: number; open: number; by_reason: Record<string, number>; finished_flagged: number };
  /** skip and flag: over the comparisons people finished here (judged or skipped; imported labels left out). */
  rates: { tie: number | null; skip: number | null; flag: number | null };
  /** The newest unresolved flags. */
  flagged: OpenFlag[];
}

export interface OpenFlag {
  id: number;
  comparison: number;
  reason: FlagReason;
  /** The annotator's words: plain text, shown escaped. */
  note: string;
  annotator: string;
  created_at: string;
  /** The prompt's last turn, shortened; plain text, shown escaped. */
  prompt_excerpt: string;
}

/** POST /api/flags/{id}/resolve/ */
export interface ResolvedFlag {
  id: number;
  project: number;
  comparison: number;
  reason: FlagReason;
  note: string;
  resolved: boolean;
  resolved_by: string | null;
  resolved_at: string | null;
  created_at: string;
}


// Projects, their members and imports; what every page shares (the session, an error body).

/** A project's comparison kind (the API field `task_type`): two responses, or K in order. */
export type ComparisonKind = "pairwise" | "ranking";
/** A reviewer annotates too, and works the review queue (issue #19). */
export type Role = "admin" | "reviewer" | "annotator";

/** GET /api/projects/ and /api/projects/{id}/ */
export interface Project {
  id: number;
  slug: string;
  name: string;
  /** Markdown shown to annotators. */
  guidelines: string;
  task_type: ComparisonKind;
  /** K: responses shown together (2 for pairwise). */
  responses_per_comparison: number;
  overlap: number;
  allow_ties: boolean;
  /** Labels for how much better the winner is, weakest first; empty for none. */
  strength_scale: string[];
  /** Extra per-criterion judgments, e.g. ["helpful", "harmless"]. */
  criteria: string[];
  lease_minutes: number;
  /** Share of served comparisons that are gold (known answer), 0..1. */
  gold_rate: number;
  collect_demonstrations: boolean;
  /** Serve people first the comparisons judges are least sure of or disagree on (issue #18). */
  judge_priority: boolean;
  created_at: string;
  role: Role | null;
}

/** GET /api/projects/{id}/members/ */
export interface Member {
  username: string;
  role: Role;
  created_at: string;
}

/** GET/POST /api/projects/{id}/imports/ */
export interface DataImport {
  id: number;
  format: string;
  file_name: string;
  file_sha256: string;
  with_labels: boolean;
  /** What the import added (labeling/imports ImportCounts). */
  counts: ImportCounts;
  skipped: { line: number; reason: string }[];
  created_at: string;
  /** A large upload is imported by a worker: queued, running (lines_read of counts.lines), done or failed. */
  status: ImportStatus;
  lines_read: number;
  /** Why it failed: the line and field named ("line 17: missing field 'prompt'"). */
  error: string;
  finished_at: string | null;
}

export type ImportStatus = "queued" | "running" | "done" | "failed";

export interface ImportCounts {
  lines: number;
  prompts: number;
  responses: number;
  comparisons: number;
  judgments: number;
}

/** Every 4xx body: {"detail": "...", "code": "..."} (plus field errors on 400). */
export interface ApiErrorBody {
  detail?: string;
  code?: string;
  [field: string]: unknown;
}

/** Written by annotation_site/pages.py into index.html as <script id="session" type="application/json">. */
export interface SessionInfo {
  username: string;
  is_staff: boolean;
}


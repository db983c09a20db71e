// The one module that talks to the Django API. Everything else calls these functions.
//
// Auth is Django's session cookie; unsafe methods carry the CSRF token read from the
// `csrftoken` cookie (labeling/pages.py makes sure the cookie is set on the SPA page).

import { statsPayload } from "./logic/leaderboard";
import type {
  ApiErrorBody,
  Checkpoint,
  Comparison,
  ComparisonDetail,
  ComparisonListPage,
  GoldAnswer,
  DataImport,
  DemonstrationCreate,
  ExportCount,
  Judgment,
  JudgmentCreate,
  JudgmentPage,
  Member,
  Overview,
  Progress,
  Project,
  ProjectStats,
  RejectedJudgment,
  ResolvedFlag,
  ReviewDecision,
  ReviewEntry,
  ReviewPage,
  RunMetric,
  SkipOrFlag,
  SkipReason,
  Snapshot,
  SnapshotCreate,
  StageConfig,
  TrainingRun,
  TrainingRunCreate,
} from "./types";
import type { RunSamples } from "./types";
import type { CheckpointReport } from "./types";

/** The server answered with a 4xx/5xx. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly body: ApiErrorBody;

  constructor(status: number, body: ApiErrorBody) {
    super(body.detail || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || "";
    this.body = body;
  }

  /** Signed out or CSRF cookie gone: the request is fine, the session is not. */
  get isAuth(): boolean {
    if (this.status === 401) return true;
    return (
      this.status === 403 &&
      (this.code === "not_authenticated" || (this.body.detail ?? "").startsWith("CSRF Failed"))
    );
  }
}

/** No answer at all (offline, DNS, connection reset, server down). */
export class NetworkError extends Error {}

/** A write that the retry queue can store and send again, byte for byte. */
export interface WriteRequest {
  method: "POST";
  path: string;
  body: unknown;
}

export function csrfToken(cookie: string = document.cookie): string {
  for (const part of cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "csrftoken") return decodeURIComponent(rest.join("="));
  }
  return "";
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T | null> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const isForm = body instanceof FormData;
  if (method !== "GET") {
    // A FormData body sets its own multipart Content-Type, boundary included.
    if (!isForm) headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = csrfToken();
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
    });
  } catch (err) {
    throw new NetworkError(err instanceof Error ? err.message : String(err));
  }
  if (response.status === 204) return null;
  const data = parsed(await response.text());
  if (!response.ok) throw new ApiError(response.status, (data as ApiErrorBody) ?? {});
  return data as T;
}

/** A response body as JSON; a page that is not JSON (a proxy's error) as its first characters. */
function parsed(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

async function get<T>(path: string): Promise<T> {
  return (await request<T>("GET", path)) as T;
}

export function send(write: WriteRequest): Promise<unknown> {
  return request(write.method, write.path, write.body);
}

// --- reads -------------------------------------------------------------------

export const listProjects = () => get<Project[]>("/api/projects/");

export const getProject = (projectId: number) => get<Project>(`/api/projects/${projectId}/`);

/** The browser's IANA time zone, so "today" counts from the annotator's midnight, not the server's. */
function timeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone ?? "";
  } catch {
    return "";
  }
}

export const getProgress = (projectId: number) => {
  const zone = timeZone();
  return get<Progress>(`/api/projects/${projectId}/progress/${zone ? `?tz=${encodeURIComponent(zone)}` : ""}`);
};

/** The caller's current comparison (their live lease), or with `ahead` one more leased ahead;
 * null on 204. The route keeps its old name, next-task: it is an external contract. */
export function nextComparison(projectId: number, ahead = false): Promise<Comparison | null> {
  const query = ahead ? "?ahead=1" : "";
  return request<Comparison>("GET", `/api/projects/${projectId}/next-task/${query}`);
}

// --- writes ------------------------------------------------------------------
// Writes that must never be lost are built as WriteRequests and go through the retry queue.

export const writes = {
  judgment: (body: JudgmentCreate): WriteRequest => ({
    method: "POST",
    path: "/api/judgments/",
    body,
  }),
  skip: (comparisonId: number, body: SkipOrFlag): WriteRequest => ({
    method: "POST",
    path: `/api/comparisons/${comparisonId}/skip/`,
    body,
  }),
  flag: (comparisonId: number, body: SkipOrFlag): WriteRequest => ({
    method: "POST",
    path: `/api/comparisons/${comparisonId}/flag/`,
    body,
  }),
  demonstration: (body: DemonstrationCreate): WriteRequest => ({
    method: "POST",
    path: "/api/demonstrations/",
    body,
  }),
};

export function sendJudgment(body: JudgmentCreate): Promise<Judgment> {
  return send(writes.judgment(body)) as Promise<Judgment>;
}

/** Reopen a judgment inside its edit window; answers the comparison again. 409 after the window. */
export async function undoJudgment(judgmentId: number): Promise<Comparison> {
  return (await request<Comparison>("POST", `/api/judgments/${judgmentId}/undo/`, {})) as Comparison;
}

/** Undo a skip: the comparison comes back leased; `reason` withdraws the flag a flag-and-skip recorded. */
export async function unskipComparison(comparisonId: number, reason: SkipReason): Promise<Comparison> {
  return (await request<Comparison>("POST", `/api/comparisons/${comparisonId}/unskip/`, { reason })) as Comparison;
}

/** Undo a flag made while judging on. */
export async function withdrawFlag(flagId: number): Promise<void> {
  await request<unknown>("POST", `/api/flags/${flagId}/withdraw/`, {});
}

// --- admin dashboard ---------------------------------------------------------
// Project admins only; the server answers 403 to annotators and 404 outside the project.

export const getOverview = (projectId: number) => get<Overview>(`/api/projects/${projectId}/overview/`);

/** One page of the project's comparisons (the comparison browser); `query` comes from logic/comparisonList. */
export const listComparisons = (projectId: number, query: string) =>
  get<ComparisonListPage>(`/api/projects/${projectId}/comparisons/?${query}`);

/** One comparison whole: responses with their models, judgments (judges marked), flags. */
export const getComparison = (projectId: number, comparisonId: number) =>
  get<ComparisonDetail>(`/api/projects/${projectId}/comparisons/${comparisonId}/`);

/** Make the comparison gold with this answer (served to everyone at the project's gold rate, and
 * annotators scored against it), or an ordinary comparison again. */
export async function setGold(projectId: number, comparisonId: number, answer: GoldAnswer): Promise<ComparisonDetail> {
  return (await request<ComparisonDetail>("PUT", `/api/projects/${projectId}/comparisons/${comparisonId}/gold/`, answer)) as ComparisonDetail;
}

export async function clearGold(projectId: number, comparisonId: number): Promise<ComparisonDetail> {
  return (await request<ComparisonDetail>("DELETE", `/api/projects/${projectId}/comparisons/${comparisonId}/gold/`)) as ComparisonDetail;
}

/** An annotator's timed judgments, quickest first (what the annotator table's too-fast flag opens). */
export const listFastestJudgments = (projectId: number, username: string, limit = 5) =>
  get<JudgmentPage>(`/api/judgments/?${new URLSearchParams({ project: String(projectId), annotator: username, order: "fastest", limit: String(limit) })}`);

/** Take a flag off the review list; resolving it again changes nothing. */
export async function resolveFlag(flagId: number): Promise<ResolvedFlag> {
  return (await request<ResolvedFlag>("POST", `/api/flags/${flagId}/resolve/`, {})) as ResolvedFlag;
}

/** The cached statistics; null while the first computation has not finished. */
export async function getStats(projectId: number): Promise<ProjectStats | null> {
  return statsPayload(await request<unknown>("GET", `/api/projects/${projectId}/stats/`));
}

export async function createProject(body: Partial<Project>): Promise<Project> {
  return (await request<Project>("POST", "/api/projects/", body)) as Project;
}

export async function updateProject(projectId: number, body: Partial<Project>): Promise<Project> {
  return (await request<Project>("PATCH", `/api/projects/${projectId}/`, body)) as Project;
}

export const listMembers = (projectId: number) => get<Member[]>(`/api/projects/${projectId}/members/`);

export async function setMember(projectId: number, body: { username: string; role: Member["role"] }): Promise<Member> {
  return (await request<Member>("POST", `/api/projects/${projectId}/members/`, body)) as Member;
}

/** Change a member's role (admins; the last admin cannot be demoted: 409 last_admin). */
export async function changeMemberRole(projectId: number, username: string, role: Member["role"]): Promise<Member> {
  const path = `/api/projects/${projectId}/members/${encodeURIComponent(username)}/`;
  return (await request<Member>("PATCH", path, { role })) as Member;
}

/** Remove a member (admins; never the last admin). Their judgments stay. */
export async function removeMember(projectId: number, username: string): Promise<void> {
  await request("DELETE", `/api/projects/${projectId}/members/${encodeURIComponent(username)}/`);
}

// --- review (issue #19) ------------------------------------------------------

/** One page of the review queue; `query` comes from logic/reviewQuery. */
export const getReviewQueue = (projectId: number, query: string) =>
  get<ReviewPage>(`/api/projects/${projectId}/review/?${query}`);

export async function reviewJudgment(judgmentId: number, decision: ReviewDecision): Promise<ReviewEntry> {
  return (await request<ReviewEntry>("POST", `/api/judgments/${judgmentId}/review/`, decision)) as ReviewEntry;
}

/** The caller's own judgments that reviewers rejected, with why. */
export const listRejectedJudgments = async (projectId: number): Promise<RejectedJudgment[]> =>
  (await get<{ results: RejectedJudgment[] }>(`/api/projects/${projectId}/rejected-judgments/`)).results;

export const listImports = (projectId: number) => get<DataImport[]>(`/api/projects/${projectId}/imports/`);

/** Upload an import file: 201 with the import, or 202 with a queued one (a large file: a worker imports it,
 * the list shows its status and lines_read); a bad line answers 400 {"detail": "line N: ...", "line": N}, too big 413. */
export async function uploadImport(
  projectId: number,
  file: File,
  format: string,
  withLabels: boolean,
): Promise<DataImport> {
  const form = new FormData();
  form.append("file", file);
  form.append("format", format);
  form.append("with_labels", withLabels ? "true" : "false");
  return (await request<DataImport>("POST", `/api/projects/${projectId}/imports/`, form)) as DataImport;
}

/** The download link for an export; `query` comes from logic/exportQuery. The browser streams it. */
export function exportUrl(projectId: number, query: string): string {
  return `/api/projects/${projectId}/export/?${query}`;
}

/** The rows the export `query` writes, counted by the server without writing the file
 * (`count=true`): no export is read over the network to count it. */
export async function countExportRows(projectId: number, query: string, signal?: AbortSignal): Promise<number> {
  let response: Response;
  try {
    response = await fetch(`${exportUrl(projectId, query)}&count=true`, { credentials: "same-origin", signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new NetworkError(err instanceof Error ? err.message : String(err));
  }
  const body = parsed(await response.text());
  if (!response.ok) throw new ApiError(response.status, (body as ApiErrorBody) ?? {});
  return (body as ExportCount).rows;
}

export const listSnapshots = (projectId: number) => get<Snapshot[]>(`/api/projects/${projectId}/snapshots/`);

/** Queue a snapshot: the server answers 202 with it pending, and a worker writes it. */
export async function createSnapshot(projectId: number, body: SnapshotCreate): Promise<Snapshot> {
  return (await request<Snapshot>("POST", `/api/projects/${projectId}/snapshots/`, body)) as Snapshot;
}

export const getTrainingConfigs = () => get<StageConfig[]>("/api/training-configs/");

export const listRuns = (projectId: number) => get<TrainingRun[]>(`/api/training-runs/?project=${projectId}`);

export const getRun = (runId: number) => get<TrainingRun>(`/api/training-runs/${runId}/`);

export async function createRun(body: TrainingRunCreate): Promise<TrainingRun> {
  return (await request<TrainingRun>("POST", "/api/training-runs/", body)) as TrainingRun;
}

export async function cancelRun(runId: number): Promise<TrainingRun> {
  return (await request<TrainingRun>("POST", `/api/training-runs/${runId}/cancel/`, {})) as TrainingRun;
}

/** Metrics of steps after `after` (-1: all), so a live chart only fetches what it lacks. */
export const getRunMetrics = (runId: number, after: number) =>
  get<RunMetric[]>(`/api/training-runs/${runId}/metrics/?after=${after}`);

/** A step's sampled responses (the newest step's when `step` is null) and the steps that have some. */
export const getRunSamples = (runId: number, step: number | null) =>
  get<RunSamples>(`/api/training-runs/${runId}/samples/${step === null ? "" : `?step=${step}`}`);

export const listCheckpoints = (projectId: number) => get<Checkpoint[]>(`/api/checkpoints/?project=${projectId}`);

/** A reward checkpoint's report (null inside when it has none yet) and its judge, if it judged. */
export const getCheckpointReport = (checkpointId: number) => get<CheckpointReport>(`/api/checkpoints/${checkpointId}/report/`);

export function loginUrl(next: string = location.pathname + location.search): string {
  return `/login/?next=${encodeURIComponent(next)}`;
}

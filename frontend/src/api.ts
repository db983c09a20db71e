// The one module that talks to the Django API. Everything else calls these functions.
//
// Auth is Django's session cookie; unsafe methods carry the CSRF token read from the
// `csrftoken` cookie (labeling/pages.py makes sure the cookie is set on the SPA page).

import type {
  ApiErrorBody,
  DemonstrationCreate,
  Judgment,
  JudgmentCreate,
  Progress,
  Project,
  SkipOrFlag,
  Task,
} from "./types";

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
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = csrfToken();
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new NetworkError(err instanceof Error ? err.message : String(err));
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text.slice(0, 200) };
  }
  if (!response.ok) throw new ApiError(response.status, (data as ApiErrorBody) ?? {});
  return data as T;
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

export const getProgress = (projectId: number) =>
  get<Progress>(`/api/projects/${projectId}/progress/`);

/** The caller's current task (their live lease), or with `ahead` one more leased ahead; null on 204. */
export function nextTask(projectId: number, ahead = false): Promise<Task | null> {
  const query = ahead ? "?ahead=1" : "";
  return request<Task>("GET", `/api/projects/${projectId}/next-task/${query}`);
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

/** Reopen a judgment inside its edit window; answers the task again. 409 after the window. */
export async function undoJudgment(judgmentId: number): Promise<Task> {
  return (await request<Task>("POST", `/api/judgments/${judgmentId}/undo/`, {})) as Task;
}

export function loginUrl(next: string = location.pathname + location.search): string {
  return `/login/?next=${encodeURIComponent(next)}`;
}

// Creating and editing a project's settings: the inputs as text, parsed back into the API's
// fields with the server's rules (labeling/services/projects.py). Pure.

import { LETTERS, MAX_LEASE_MINUTES, MAX_OVERLAP } from "../generated/constants";
import type { ComparisonKind, Project } from "../types";

export interface ProjectFormValues {
  name: string;
  slug: string;
  guidelines: string;
  task_type: ComparisonKind;
  responses_per_comparison: string;
  /** One criterion per line or comma-separated. */
  criteria: string;
  /** One label per line, weakest first. */
  strength_scale: string;
  allow_ties: boolean;
  overlap: string;
  /** Percent of served comparisons that are gold. */
  gold_percent: string;
  lease_minutes: string;
  collect_demonstrations: boolean;
  judge_priority: boolean;
}

export type ProjectPayload = Partial<
  Pick<
    Project,
    | "name" | "slug" | "guidelines" | "task_type" | "responses_per_comparison" | "criteria" | "strength_scale"
    | "allow_ties" | "overlap" | "gold_rate" | "lease_minutes" | "collect_demonstrations" | "judge_priority"
  >
>;

export const NEW_PROJECT: ProjectFormValues = {
  name: "",
  slug: "",
  guidelines: "",
  task_type: "pairwise",
  responses_per_comparison: "2",
  criteria: "",
  strength_scale: "slightly better\nbetter\nmuch better",
  allow_ties: true,
  overlap: "1",
  gold_percent: "0",
  lease_minutes: "15",
  collect_demonstrations: false,
  judge_priority: false,
};

export function projectFormValues(project: Project): ProjectFormValues {
  return {
    name: project.name,
    slug: project.slug,
    guidelines: project.guidelines,
    task_type: project.task_type,
    responses_per_comparison: String(project.responses_per_comparison),
    criteria: project.criteria.join("\n"),
    strength_scale: project.strength_scale.join("\n"),
    allow_ties: project.allow_ties,
    overlap: String(project.overlap),
    gold_percent: String(Math.round((project.gold_rate ?? 0) * 1000) / 10),
    lease_minutes: String(project.lease_minutes ?? 15),
    collect_demonstrations: project.collect_demonstrations,
    judge_priority: project.judge_priority ?? false,
  };
}

/** The form once the comparison kind is switched to `kind`. A ranking needs at least 3 responses:
 * the pairwise 2 left in the (then hidden) field would keep Create disabled behind a red hint, so
 * it becomes 3. K is otherwise left as typed, so switching back and forth changes nothing else. */
export function withComparisonKind(values: ProjectFormValues, kind: ComparisonKind): ProjectFormValues {
  const k = Number(values.responses_per_comparison.trim());
  const tooFew = kind === "ranking" && !(k >= 3); // an empty or unreadable K too
  return { ...values, task_type: kind, responses_per_comparison: tooFew ? "3" : values.responses_per_comparison };
}

/** "Helpful chat, v2!" → "helpful-chat-v2". */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80);
}

/** Entries separated by new lines (or commas when on one line), trimmed, empty ones dropped. */
export function listEntries(text: string): string[] {
  const parts = text.includes("\n") ? text.split("\n") : text.split(",");
  return parts.map((part) => part.trim()).filter(Boolean);
}

function whole(text: string, low: number, high: number): number | null {
  const n = Number(text.trim());
  return text.trim() !== "" && Number.isInteger(n) && n >= low && n <= high ? n : null;
}

/** The API's fields from the form, and by field what is wrong. `creating` adds slug, type and K. */
export function projectPayload(values: ProjectFormValues, creating: boolean): { payload: ProjectPayload; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const payload: ProjectPayload = {
    name: values.name.trim(),
    guidelines: values.guidelines,
    criteria: listEntries(values.criteria),
    allow_ties: values.allow_ties,
    collect_demonstrations: values.collect_demonstrations,
    judge_priority: values.judge_priority,
  };
  // A strength scale means "how much better" in a pairwise verdict; a ranking has none (its
  // field is hidden). A new ranking project is sent an empty scale; an existing one's stored
  // scale is left alone (once judged, the server refuses any change to it).
  if (values.task_type === "pairwise") payload.strength_scale = listEntries(values.strength_scale);
  else if (creating) payload.strength_scale = [];
  if (!payload.name) errors.name = "give the project a name";
  for (const key of ["criteria", "strength_scale"] as const) {
    const entries = payload[key] ?? [];
    if (new Set(entries).size !== entries.length) errors[key] = "has duplicates";
  }
  const overlap = whole(values.overlap, 1, MAX_OVERLAP);
  if (overlap === null) errors.overlap = `a whole number from 1 to ${MAX_OVERLAP}`;
  else payload.overlap = overlap;
  const lease = whole(values.lease_minutes, 1, MAX_LEASE_MINUTES);
  if (lease === null) errors.lease_minutes = `whole minutes, 1 to ${MAX_LEASE_MINUTES} (a week)`;
  else payload.lease_minutes = lease;
  const gold = Number(values.gold_percent.trim() || "0");
  if (!Number.isFinite(gold) || gold < 0 || gold > 100) errors.gold_percent = "a percentage from 0 to 100";
  else payload.gold_rate = gold / 100;
  if (creating) {
    payload.slug = values.slug.trim();
    if (!/^[-a-z0-9_]+$/.test(payload.slug)) errors.slug = "lower-case letters, digits, - and _";
    payload.task_type = values.task_type;
    const k = values.task_type === "pairwise" ? 2 : whole(values.responses_per_comparison, 3, LETTERS.length);
    if (k === null) errors.responses_per_comparison = `from 3 to ${LETTERS.length} responses`;
    else payload.responses_per_comparison = k;
  }
  return { payload, errors };
}

/** Only the fields that differ from `project` (a PATCH that says what changed). */
export function changedFields(project: Project, payload: ProjectPayload): ProjectPayload {
  const changed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) {
    const current = (project as unknown as Record<string, unknown>)[key];
    if (JSON.stringify(current) !== JSON.stringify(value)) changed[key] = value;
  }
  return changed as ProjectPayload;
}

// The API's field names where the form's input differs (the form takes gold as a percentage).
const FORM_KEY: Record<string, keyof ProjectFormValues> = { gold_rate: "gold_percent" };
// Inputs that show their own error; the server's errors on other fields go in the form's message.
const SHOWN = new Set<string>([
  "name", "slug", "overlap", "gold_percent", "lease_minutes", "responses_per_comparison", "criteria", "strength_scale", "guidelines",
]);

function messages(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(messages);
  if (value && typeof value === "object") return Object.values(value).flatMap(messages);
  return [];
}

// A domain error's keys that say what kind of error it is, not what is wrong.
const ABOUT_THE_ERROR = new Set(["code", "field", "reason"]);

/**
 * A 400's body (a serializer's {field: [messages]} with its summary in detail, or a domain
 * error's {detail, code, field?}) split into errors by the form's input they belong next to, and the rest
 * as one message for the form as a whole.
 */
export function serverFieldErrors(body: Record<string, unknown>): { fields: Record<string, string>; rest: string } {
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  const named = typeof body.field === "string" ? body.field : null;
  // A serializer's 400 keeps {field: [messages]} beside its summary in detail: the fields say it
  const summary = Object.keys(body).some((key) => key !== "detail" && !ABOUT_THE_ERROR.has(key));
  for (const [key, value] of Object.entries(body)) {
    if (ABOUT_THE_ERROR.has(key) || (key === "detail" && summary)) continue;
    const text = messages(value).join(" ");
    if (!text) continue;
    const apiKey = key === "detail" && named ? named : key;
    const formKey = FORM_KEY[apiKey] ?? apiKey;
    if (SHOWN.has(formKey)) fields[formKey] = text;
    else rest.push(key === "detail" || key === "non_field_errors" ? text : `${key.replace(/_/g, " ")}: ${text}`);
  }
  return { fields, rest: rest.join("; ") };
}

/** The server's errors that still stand: those on inputs changed since are dropped. */
export function standingErrors(server: Record<string, string>, sent: ProjectFormValues, now: ProjectFormValues): Record<string, string> {
  return Object.fromEntries(
    Object.entries(server).filter(([key]) => !(key in sent) || sent[key as keyof ProjectFormValues] === now[key as keyof ProjectFormValues]),
  );
}

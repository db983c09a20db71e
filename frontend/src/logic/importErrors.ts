// Showing where an import failed: the server names the line ("line N: ..."); the browser
// still has the file, so the screen shows that line with its neighbours. Pure.

export interface NumberedLine {
  number: number;
  text: string;
  isError: boolean;
  /** The failing line only, when the server named a column: where in `text` it falls (0-based). */
  caret?: number;
}

const MAX_CHARS = 240;

/** Lines `line - context` .. `line + context` of `text` (1-based), long ones cut; `column` (1-based) marks the failing line. */
export function linesAround(text: string, line: number, context = 2, column: number | null = null): NumberedLine[] {
  const lines = text.split(/\r?\n/);
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const out: NumberedLine[] = [];
  for (let number = first; number <= last; number++) {
    const raw = lines[number - 1] ?? "";
    if (number === line && column !== null) out.push({ number, isError: true, ...around(raw, column) });
    else out.push({ number, text: raw.length > MAX_CHARS ? `${raw.slice(0, MAX_CHARS)}…` : raw, isError: number === line });
  }
  return out;
}

/** The part of a long line around `column`, and the caret's place in it. */
function around(raw: string, column: number): { text: string; caret: number } {
  const at = Math.min(Math.max(column - 1, 0), raw.length);
  if (raw.length <= MAX_CHARS) return { text: raw, caret: at };
  const start = Math.max(0, Math.min(at - MAX_CHARS / 2, raw.length - MAX_CHARS));
  const head = start > 0 ? "…" : "";
  const tail = start + MAX_CHARS < raw.length ? "…" : "";
  return { text: `${head}${raw.slice(start, start + MAX_CHARS)}${tail}`, caret: at - start + head.length };
}

/** The line number of a "line N: ..." message, or the `line` field of the error body. */
export function errorLine(body: { line?: unknown; detail?: string }): number | null {
  if (typeof body.line === "number" && body.line > 0) return body.line;
  const match = body.detail?.match(/^line (\d+):/);
  return match ? Number(match[1]) : null;
}

/** Where on the line the server says it failed: the JSON parser's column, or the field it names. */
export interface ErrorPlace {
  column: number | null;
  field: string | null;
}

/**
 * Reads labeling/imports' messages: "invalid JSON: ... (column 41)", "missing field 'prompt'",
 * "'responses[1].model' must be a string" (a message that starts with the field names it).
 */
export function errorPlace(detail: string | undefined): ErrorPlace {
  const message = (detail ?? "").replace(/^line \d+:\s*/, "");
  const column = message.match(/\(column (\d+)\)/);
  const field = message.match(/^(?:missing field )?'([A-Za-z_][\w]*(?:\[\d+\])*(?:\.[A-Za-z_]\w*(?:\[\d+\])*)*)'/);
  return { column: column ? Number(column[1]) : null, field: field ? field[1] : null };
}

/** "Line 3", "Line 3, column 41", "Line 3, field responses[1].model". */
export function placeText(line: number, place: ErrorPlace): string {
  if (place.column !== null) return `Line ${line}, column ${place.column}`;
  if (place.field !== null) return `Line ${line}, field ${place.field}`;
  return `Line ${line}`;
}

export type ImportFormat = "candidates" | "hh-rlhf" | "trl";

/**
 * The format a file's first JSON line looks like (labeling/imports/formats.py's fields): null when
 * it is not a JSON object or fits none. Said before upload, so a file is not sent under the wrong format.
 */
export function guessFormat(text: string): ImportFormat | null {
  const first = text.split(/\r?\n/).find((line) => line.trim());
  let record: unknown;
  try {
    record = first ? JSON.parse(first) : null;
  } catch {
    return null;
  }
  if (!record || typeof record !== "object" || Array.isArray(record)) return null;
  const keys = new Set(Object.keys(record));
  if (keys.has("responses")) return "candidates";
  if (!keys.has("chosen") || !keys.has("rejected")) return null;
  const chosen = (record as Record<string, unknown>).chosen;
  if (!keys.has("prompt") && typeof chosen === "string" && chosen.startsWith("\n\nHuman:")) return "hh-rlhf";
  return "trl";
}

// Showing where an import failed: the server names the line ("line N: ..."); the browser
// still has the file, so the screen shows that line with its neighbours. Pure.

export interface NumberedLine {
  number: number;
  text: string;
  isError: boolean;
}

const MAX_CHARS = 240;

/** Lines `line - context` .. `line + context` of `text` (1-based), long ones cut. */
export function linesAround(text: string, line: number, context = 2): NumberedLine[] {
  const lines = text.split(/\r?\n/);
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const out: NumberedLine[] = [];
  for (let number = first; number <= last; number++) {
    const raw = lines[number - 1] ?? "";
    out.push({ number, text: raw.length > MAX_CHARS ? `${raw.slice(0, MAX_CHARS)}…` : raw, isError: number === line });
  }
  return out;
}

/** The line number of a "line N: ..." message, or the `line` field of the error body. */
export function errorLine(body: { line?: unknown; detail?: string }): number | null {
  if (typeof body.line === "number" && body.line > 0) return body.line;
  const match = body.detail?.match(/^line (\d+):/);
  return match ? Number(match[1]) : null;
}

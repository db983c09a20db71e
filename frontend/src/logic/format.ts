// Numbers, shares, intervals and times as the dashboard prints them. Pure.

export const DASH = "—";

/** 0.4567 → "45.7%" (digits after the point); null → "—". */
export function percent(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return `${(value * 100).toFixed(digits)}%`;
}

/** A figure with `digits` decimals; null → "—". Minus signs are real minus signs. */
export function fixed(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return value.toFixed(digits).replace(/^-/, "−");
}

/** 12345 → "12,345". */
export function count(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return Math.round(value).toLocaleString("en-US");
}

/** "[0.41, 0.63]" for a confidence interval; "—" when either end is missing. */
export function interval(low: number | null | undefined, high: number | null | undefined, digits = 2): string {
  if (low === null || low === undefined || high === null || high === undefined) return DASH;
  if (!Number.isFinite(low) || !Number.isFinite(high)) return DASH;
  return `[${fixed(low, digits)}, ${fixed(high, digits)}]`;
}

/** Seconds as "45 s", "3 min 20 s", "2 h 5 min". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return DASH;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1).replace(/\.0$/, "") : Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min${seconds % 60 >= 1 ? ` ${Math.floor(seconds % 60)} s` : ""}`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
}

/** How long ago `iso` was, relative to `now` (ms): "just now", "5 min ago", "3 h ago", "2 d ago". */
export function ago(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return DASH;
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return DASH;
  const seconds = Math.max(0, (now - then) / 1000);
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

/**
 * Seconds left for a run at `step` of `total` that started at `startedIso`, assuming the pace so
 * far holds; null before the first step or when the total is unknown.
 */
export function remaining(startedIso: string | null, step: number, total: number, now: number = Date.now()): number | null {
  if (!startedIso || step <= 0 || total <= 0 || step >= total) return null;
  const elapsed = (now - Date.parse(startedIso)) / 1000;
  if (!(elapsed > 0)) return null;
  return (elapsed / step) * (total - step);
}

/** The first 12 hex digits of a hash, as git shows commits. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}

/** Bytes as "812 B", "3.4 MB". */
export function bytes(size: number): string {
  if (size < 1024) return `${size} B`;
  const units = ["kB", "MB", "GB"];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * A config value or metric as every run screen prints it, so one value reads the same in the
 * run list, on the run's card, in a chart's legend and on a checkpoint: whole numbers exactly
 * (steps, seeds, ranks), others to 3 significant digits, rounded to a whole number from 1000,
 * with an exponent below 0.001 and from a million ("5.9e-5", never "0.0000590"); null → "—".
 */
export function figure(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  if (Number.isSafeInteger(value)) return String(value);
  const size = Math.abs(value);
  if (size < 1e-3 || size >= 1e6) {
    const [mantissa, power] = value.toExponential(2).split("e");
    return `${Number(mantissa)}e${Number(power)}`;
  }
  return String(size >= 1000 ? Math.round(value) : Number(value.toPrecision(3)));
}

/** A metric by its name: an accuracy as a share ("90.0%"), any other as a figure. */
export function metricText(key: string, value: number | null | undefined): string {
  return key.includes("accuracy") ? percent(value, 1) : figure(value);
}

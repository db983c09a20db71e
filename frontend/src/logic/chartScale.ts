// Scales, ticks and paths for the dashboard's hand-written SVG charts. Pure: no DOM.

export type Domain = [number, number];

/** Smallest and largest finite value; null when there is none. */
export function extent(values: Iterable<number | null | undefined>): Domain | null {
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) {
    if (value === null || value === undefined || !Number.isFinite(value)) continue;
    if (value < low) low = value;
    if (value > high) high = value;
  }
  return low <= high ? [low, high] : null;
}

/** A domain with some width: a flat series gets a band around its value. */
export function padded(domain: Domain | null, fallback: Domain = [0, 1]): Domain {
  if (!domain) return fallback;
  const [low, high] = domain;
  if (high > low) return domain;
  const pad = Math.abs(low) > 0 ? Math.abs(low) * 0.1 : 1;
  return [low - pad, high + pad];
}

/** Maps `domain` linearly onto `range`; a zero-width domain maps to the range's middle. */
export function linear(domain: Domain, range: Domain): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  if (span === 0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}

/** A round step (1, 2 or 5 × 10^k) giving about `count` intervals over `span`. */
export function tickStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction >= 7.5 ? 10 : fraction >= 3.5 ? 5 : fraction >= 1.5 ? 2 : 1;
  return nice * power;
}

/** The domain widened to whole steps, so the axis starts and ends on a tick. */
export function niceDomain(domain: Domain, count = 4): Domain {
  const [low, high] = domain;
  const step = tickStep(high - low, count);
  return [Math.floor(low / step) * step, Math.ceil(high / step) * step];
}

// More ticks than any axis draws: a step that would give more is float noise, not a scale.
const MAX_TICKS = 100;

/** Round tick values inside `domain` (inclusive), about `count` intervals apart. */
export function ticks(domain: Domain, count = 4): number[] {
  const [low, high] = domain;
  const step = tickStep(high - low, count);
  const first = Math.ceil(low / step - 1e-9);
  const last = Math.floor(high / step + 1e-9);
  // Past 2^53 `i++` stops moving (a step of float noise on 0.69): the loop never ended.
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last - first > MAX_TICKS) return [];
  const out: number[] = [];
  for (let i = first; i <= last; i++) out.push(unnoised(i * step));
  return out;
}

/** Removes float noise (0.30000000000000004) at any size, 1e-12 as well as 0.3. */
function unnoised(value: number): number {
  return Number(value.toPrecision(12));
}

// A spread narrower than this share of the values' size needs more digits than an axis label
// has room for (0.6931 give or take float noise needs 16): it is widened to it, centred.
const MIN_RELATIVE_SPREAD = 5e-3;

/** The data's extent widened until a few digits tell its ticks apart: an empty or flat series
 * gets a band around its value (padded), a nearly flat one the least spread labels can show. */
export function readableDomain(domain: Domain | null): Domain {
  if (!domain || domain[0] === domain[1]) return padded(domain);
  const [low, high] = domain;
  const least = Math.max(Math.abs(low), Math.abs(high)) * MIN_RELATIVE_SPREAD;
  if (high - low >= least) return domain;
  const middle = (low + high) / 2;
  return [middle - least / 2, middle + least / 2];
}

/** A value axis (not a share): its domain on whole ticks, the ticks, and labels that differ. */
export function valueAxis(values: (number | null | undefined)[], count = 3): { domain: Domain; ticks: number[]; labels: string[] } {
  const domain = niceDomain(readableDomain(extent(values)), count);
  const at = ticks(domain, count);
  return { domain, ticks: at, labels: formatTicks(at) };
}

export interface Point {
  x: number;
  y: number | null | undefined;
}

/** An SVG path through the points in order; a missing or non-finite y breaks the line. */
export function linePath(points: Point[], x: (v: number) => number, y: (v: number) => number): string {
  let path = "";
  let pen = false;
  for (const point of points) {
    if (point.y === null || point.y === undefined || !Number.isFinite(point.y)) {
      pen = false;
      continue;
    }
    path += `${pen ? "L" : "M"}${round2(x(point.x))},${round2(y(point.y))}`;
    pen = true;
  }
  return path;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * Exponential moving average, as TensorBoard's smoothing: noisy per-step losses read better
 * with the trend drawn over them. Missing values pass through as null and do not reset it.
 */
export function ema(values: (number | null | undefined)[], weight = 0.6): (number | null)[] {
  let last: number | null = null;
  return values.map((value) => {
    if (value === null || value === undefined || !Number.isFinite(value)) return null;
    last = last === null ? value : last * weight + value * (1 - weight);
    return last;
  });
}

/** Keeps at most `max` points, evenly spaced, always the first and the last (long runs). */
export function thin<T>(items: T[], max: number): T[] {
  if (items.length <= max || max < 2) return items;
  const out: T[] = [];
  const stride = (items.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(items[Math.round(i * stride)]);
  return out;
}

/** A short tick label with `digits` significant digits: 1.2k, 0.35, 1e-5. */
export function formatTick(value: number, digits = 3): string {
  if (value === 0) return "0";
  const size = Math.abs(value);
  if (size >= 1e6) return `${trim(value / 1e6, digits)}M`;
  if (size >= 1e4) return `${trim(value / 1e3, digits)}k`;
  if (size < 1e-3) return exponent(value, digits);
  return trim(value, digits);
}

/**
 * Labels for a whole axis: the fewest significant digits (3 at least) that tell every tick
 * apart, so close values never read as the same number ("5e-4 5e-4 5e-4").
 */
export function formatTicks(values: number[]): string[] {
  let labels = values.map((value) => formatTick(value));
  for (let digits = 4; digits <= 10 && new Set(labels).size < labels.length; digits++) {
    labels = values.map((value) => formatTick(value, digits));
  }
  return labels;
}

function trim(value: number, digits: number): string {
  return String(Number(value.toPrecision(digits)));
}

function exponent(value: number, digits: number): string {
  const [mantissa, power] = value.toExponential(digits - 1).split("e");
  return `${Number(mantissa)}e${Number(power)}`;
}

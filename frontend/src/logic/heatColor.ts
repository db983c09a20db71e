// The win-rate heatmap's colours: a diverging scale centred on 0.5 (an even match).
// Pure: the screen passes the theme it is drawn in.

export type Rgb = [number, number, number];

export interface HeatTheme {
  /** The row model loses every game. */
  low: Rgb;
  /** Even: 50 %. */
  mid: Rgb;
  /** The row model wins every game. */
  high: Rgb;
}

// The annotator UI's colours: --letter-b (orange) for losing, --accent (indigo) for winning.
export const LIGHT_HEAT: HeatTheme = { low: [217, 115, 13], mid: [246, 247, 249], high: [79, 91, 213] };
export const DARK_HEAT: HeatTheme = { low: [240, 160, 75], mid: [32, 37, 45], high: [124, 134, 242] };

function mix(from: Rgb, to: Rgb, t: number): Rgb {
  return [0, 1, 2].map((i) => Math.round(from[i] + (to[i] - from[i]) * t)) as Rgb;
}

/**
 * The cell colour for win rate `rate` (0..1), or null where the two models never met. The
 * distance from 0.5 goes through a square root so that 55 % vs 45 % is already visible.
 */
export function heatColor(rate: number | null | undefined, theme: HeatTheme = LIGHT_HEAT): Rgb | null {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return null;
  const clamped = Math.min(1, Math.max(0, rate));
  const distance = Math.sqrt(Math.abs(clamped - 0.5) * 2);
  return mix(theme.mid, clamped >= 0.5 ? theme.high : theme.low, distance);
}

/** WCAG relative luminance of an sRGB colour, 0 (black) to 1 (white). */
export function luminance([r, g, b]: Rgb): number {
  const channel = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** Dark or light text, whichever contrasts more with the cell. */
export function textOn(background: Rgb): "dark" | "light" {
  const l = luminance(background);
  const againstBlack = (l + 0.05) / 0.05;
  const againstWhite = 1.05 / (l + 0.05);
  return againstBlack >= againstWhite ? "dark" : "light";
}

export function css([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

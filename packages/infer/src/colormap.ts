/**
 * Class colours and label overlays, shared by the PNG writer (Node) and the page's canvas (browser).
 * Class 0 is background and stays transparent; classes 1 … 8 take a fixed, colour-blind-friendly
 * palette (Okabe–Ito), later ones golden-angle hues so that neighbours differ.
 */
import { McscError } from '@mcsc/graph';

/** An RGB colour, 0 … 255 per channel. */
export type Rgb = readonly [number, number, number];

const PALETTE: readonly Rgb[] = [
  [0, 0, 0],
  [230, 159, 0],
  [86, 180, 233],
  [0, 158, 115],
  [240, 228, 66],
  [0, 114, 178],
  [213, 94, 0],
  [204, 121, 167],
  [255, 255, 255],
];

/** The colour of class `k` (class 0, background, is black and drawn transparent). */
export function classColour(k: number): Rgb {
  if (k < PALETTE.length) return PALETTE[k]!;
  const hue = (k * 137.508) % 360;
  return hslToRgb(hue, 0.75, 0.55);
}

/** `#rrggbb` of class `k`, for CSS. */
export function classColourCss(k: number): string {
  return `#${classColour(k)
    .map((v) => v.toString(16).padStart(2, '0'))
    .join('')}`;
}

/** Options of {@link overlayRgba}. */
export interface OverlayOptions {
  /** Opacity of the class colours over the image, 0 … 1 (default 0.5). */
  readonly alpha?: number;
  /** Grey window [lo, hi] of the image; default: its own min and max. */
  readonly window?: readonly [number, number];
}

/**
 * RGBA pixels (h·w·4, row-major) of a grey image with the labels blended on top; background pixels
 * show the image alone.
 */
export function overlayRgba(
  image: ArrayLike<number>,
  labels: ArrayLike<number>,
  h: number,
  w: number,
  options: OverlayOptions = {},
): Uint8ClampedArray {
  const n = h * w;
  if (image.length !== n || labels.length !== n) {
    throw new McscError('overlayRgba', `image holds ${image.length} and labels ${labels.length} values, expected h·w = ${n}`);
  }
  const alpha = options.alpha ?? 0.5;
  const [lo, hi] = options.window ?? imageRange(image);
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const g = (image[i]! - lo) * scale;
    const k = labels[i]!;
    const [r, gg, b] = k === 0 ? [g, g, g] : classColour(k).map((c) => (1 - alpha) * g + alpha * c);
    out[i * 4] = r!;
    out[i * 4 + 1] = gg!;
    out[i * 4 + 2] = b!;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Minimum and maximum of the finite values (0, 1 for none). */
export function imageRange(image: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < image.length; i++) {
    const v = image[i]!;
    if (!Number.isFinite(v)) continue; // one ±Inf would flatten the whole window
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

function hslToRgb(h: number, s: number, l: number): Rgb {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

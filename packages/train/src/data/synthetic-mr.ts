/**
 * MR-like appearance for the synthetic cardiac generator: tissue maps → cine-bSSFP-like intensities.
 *
 * Per patient, each tissue draws its own mean intensity relative to the blood pool, with ranges that
 * overlap on purpose (epicardial fat ≈ blood, chest-wall muscle and liver ≈ myocardium, the descending
 * aorta and the atria are blood), so that no threshold separates the classes. Then, per slice:
 * smooth multiplicative texture, a per-slice gain, a smooth multiplicative bias field (a low-order
 * polynomial plus a surface-coil hot spot, fixed to the scanner frame), Gaussian blur (partial volume)
 * and Rician noise: |s + σ·(n₁ + i·n₂)|. The volume is finally min–max scaled to 0 … 1, as the ACDC
 * volumes of SSL4MIS are.
 */
import type { Random } from '@mcsc/core';

// Math's functions as module constants: hot loops then avoid a global lookup per call, which is slow
// when code runs inside a vm context (as under jest).
const { ceil, exp, floor, max, min, sqrt } = Math;

/** Tissue codes of a synthetic slice. */
export const Tissue = Object.freeze({
  AIR: 0,
  MUSCLE: 1,
  FAT: 2,
  LUNG: 3,
  LIVER: 4,
  SPINE: 5,
  VESSEL: 6,
  STOMACH: 7,
  RV_WALL: 8,
  MYO: 9,
  LV_BLOOD: 10,
  PAPILLARY: 11,
  RV_BLOOD: 12,
});
const TISSUES = 13;

/** Patient-level appearance: mean intensity per tissue, texture and noise levels. */
export interface MrAppearance {
  readonly means: Float64Array;
  readonly texture: Float64Array;
  readonly noise: number;
  readonly blur: number;
  /** Bias-field coefficients: [x, y, x², y², xy] and a hot spot (x, y, width, gain). */
  readonly bias: readonly number[];
  readonly hotSpot: readonly [number, number, number, number];
}

/** Draws a patient's appearance. */
export function drawAppearance(rng: Random): MrAppearance {
  const u = (lo: number, hi: number) => lo + (hi - lo) * rng.uniform();
  const blood = u(0.7, 1.0);
  const myo = blood * u(0.22, 0.42);
  const means = new Float64Array(TISSUES);
  means[Tissue.AIR] = 0;
  means[Tissue.MUSCLE] = blood * u(0.24, 0.46);
  means[Tissue.FAT] = blood * u(0.7, 1.05);
  means[Tissue.LUNG] = blood * u(0.02, 0.1);
  means[Tissue.LIVER] = blood * u(0.3, 0.55);
  means[Tissue.SPINE] = blood * u(0.35, 0.65);
  means[Tissue.VESSEL] = blood * u(0.8, 1.05);
  means[Tissue.STOMACH] = blood * u(0.2, 0.9);
  means[Tissue.RV_WALL] = myo * u(0.9, 1.2);
  means[Tissue.MYO] = myo;
  means[Tissue.LV_BLOOD] = blood;
  means[Tissue.PAPILLARY] = myo * u(0.95, 1.3);
  means[Tissue.RV_BLOOD] = blood * u(0.82, 1.05);
  const texture = new Float64Array(TISSUES);
  for (let t = 0; t < TISSUES; t++) texture[t] = u(0.03, 0.12);
  texture[Tissue.LV_BLOOD] = texture[Tissue.RV_BLOOD] = u(0.05, 0.16); // flow inhomogeneity
  const bias = [rng.normal() * 0.3, rng.normal() * 0.3, rng.normal() * 0.15, rng.normal() * 0.15, rng.normal() * 0.15];
  const hotSpot: [number, number, number, number] = [u(-0.9, 0.9), u(-0.9, 0.9), u(0.3, 0.8), u(0, 0.5)];
  return { means, texture, noise: blood * u(0.03, 0.08), blur: u(0.5, 1.1), bias, hotSpot };
}

/**
 * Renders tissue maps `[D, H, W]` into a normalised image `[D, H, W]` (0 … 1).
 * `rng` drives the texture, gains and noise; `app` holds the patient's fixed appearance.
 */
export function renderMr(tissue: Uint8Array, shape: readonly [number, number, number], app: MrAppearance, rng: Random): Float32Array {
  const [d, h, w] = shape;
  const n = h * w;
  const half = min(h, w) / 2;
  const out = new Float32Array(d * n);
  for (let z = 0; z < d; z++) {
    const tex = smoothField(h, w, 6, rng);
    const texBlood = smoothField(h, w, 4, rng);
    const gain = 1 + 0.08 * (2 * rng.uniform() - 1);
    const zc = d > 1 ? z / (d - 1) - 0.5 : 0;
    const slice = new Float32Array(n);
    for (let r = 0; r < h; r++) {
      const y = (r - (h - 1) / 2) / half;
      for (let q = 0; q < w; q++) {
        const x = (q - (w - 1) / 2) / half;
        const t = tissue[z * n + r * w + q]!;
        const field = t === Tissue.LV_BLOOD || t === Tissue.RV_BLOOD ? texBlood : tex;
        const base = app.means[t]! * (1 + app.texture[t]! * field[r * w + q]!);
        slice[r * w + q] = max(0, base) * gain * biasAt(app, x, y, zc);
      }
    }
    const blurred = gaussianBlur(slice, h, w, app.blur);
    for (let i = 0; i < n; i++) {
      const a = blurred[i]! + app.noise * rng.normal();
      const b = app.noise * rng.normal();
      out[z * n + i] = sqrt(a * a + b * b);
    }
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of out) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const scale = hi > lo ? 1 / (hi - lo) : 0;
  for (let i = 0; i < out.length; i++) out[i] = (out[i]! - lo) * scale;
  return out;
}

/** Multiplicative bias at scanner position (x, y) ∈ [−1, 1]² and slice offset zc ∈ [−0.5, 0.5]. */
function biasAt(app: MrAppearance, x: number, y: number, zc: number): number {
  const [bx, by, bxx, byy, bxy] = app.bias as [number, number, number, number, number];
  const [hx, hy, hw, hg] = app.hotSpot;
  const poly = bx * x + by * y + bxx * x * x + byy * y * y + bxy * x * y + 0.1 * zc * bx;
  const spot = hg * exp(-((x - hx) ** 2 + (y - hy) ** 2) / (hw * hw));
  return exp(poly + spot);
}

/** A smooth random field of unit-ish amplitude: Gaussian noise on a coarse `cells × cells` grid, bilinearly upsampled. */
export function smoothField(h: number, w: number, cells: number, rng: Random): Float32Array {
  const g = cells + 1;
  const grid = new Float64Array(g * g);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.normal();
  const out = new Float32Array(h * w);
  for (let r = 0; r < h; r++) {
    const gy = (r / max(1, h - 1)) * cells;
    const y0 = min(cells - 1, floor(gy));
    const fy = gy - y0;
    for (let q = 0; q < w; q++) {
      const gx = (q / max(1, w - 1)) * cells;
      const x0 = min(cells - 1, floor(gx));
      const fx = gx - x0;
      const v00 = grid[y0 * g + x0]!;
      const v01 = grid[y0 * g + x0 + 1]!;
      const v10 = grid[(y0 + 1) * g + x0]!;
      const v11 = grid[(y0 + 1) * g + x0 + 1]!;
      out[r * w + q] = (v00 * (1 - fx) + v01 * fx) * (1 - fy) + (v10 * (1 - fx) + v11 * fx) * fy;
    }
  }
  return out;
}

/** Separable Gaussian blur (σ in pixels, edges clamped). */
export function gaussianBlur(src: Float32Array, h: number, w: number, sigma: number): Float32Array {
  if (sigma <= 0) return src.slice();
  const radius = ceil(3 * sigma);
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= sum;
  const tmp = new Float32Array(h * w);
  const out = new Float32Array(h * w);
  for (let r = 0; r < h; r++) {
    for (let q = 0; q < w; q++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) acc += kernel[k + radius]! * src[r * w + min(w - 1, max(0, q + k))]!;
      tmp[r * w + q] = acc;
    }
  }
  for (let r = 0; r < h; r++) {
    for (let q = 0; q < w; q++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) acc += kernel[k + radius]! * tmp[min(h - 1, max(0, r + k)) * w + q]!;
      out[r * w + q] = acc;
    }
  }
  return out;
}

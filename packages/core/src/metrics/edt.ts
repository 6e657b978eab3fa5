/**
 * Exact Euclidean distance transform with per-axis spacing, the role `scipy.ndimage.distance_transform_edt`
 * (with `sampling=`) plays in medpy's surface distances.
 *
 * Algorithm: Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled Functions", Theory of
 * Computing 8 (2012). The squared distance separates over axes,
 *   D²(x) = min_p Σ_a s_a² (x_a − p_a)²,
 * so one exact 1-D pass per axis suffices: along a line, d(q) = min_p (s²(q − p)² + f(p)) is the lower
 * envelope of parabolas rooted at (p, f(p)), built left to right in O(n). Points with f(p) = ∞ (no site
 * reached yet) root no parabola; a line without any finite value stays ∞. Arithmetic is float64.
 */
import type ndarray from 'ndarray';
import { invalidValue } from '../internal/errors.js';
import { type NumericNdArray, toMask, wrap } from '../internal/ndarray.js';

/**
 * Distance from every element to the nearest zero element of `input` (scipy's convention), scaled by
 * `spacing` (one value per axis, or one for all; default 1). Infinity everywhere when there is no zero.
 *
 * @returns a float64 ndarray of `input`'s shape.
 */
export function distanceTransformEdt(input: NumericNdArray, spacing?: number | readonly number[]): ndarray.NdArray<Float64Array> {
  const shape = input.shape.slice();
  const mask = toMask(input);
  const sites = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) sites[i] = mask[i] ? 0 : 1;
  const sq = squaredDistanceToSites(sites, shape, normalizeSpacing('distanceTransformEdt', spacing, shape.length));
  for (let i = 0; i < sq.length; i++) sq[i] = Math.sqrt(sq[i]!);
  return wrap(sq, shape);
}

/**
 * Squared distance from every element to the nearest element with `sites[i] === 1`.
 * `sites` is contiguous row-major of shape `shape`; `spacing` has one entry per axis.
 */
export function squaredDistanceToSites(sites: Uint8Array, shape: readonly number[], spacing: readonly number[]): Float64Array {
  const size = sites.length;
  const dist = new Float64Array(size);
  for (let i = 0; i < size; i++) dist[i] = sites[i] ? 0 : Infinity;
  const rank = shape.length;
  const maxLen = Math.max(1, ...shape);
  const line = new Float64Array(maxLen);
  const result = new Float64Array(maxLen);
  const roots = new Int32Array(maxLen);
  const bounds = new Float64Array(maxLen + 1);
  let stride = 1;
  for (let axis = rank - 1; axis >= 0; axis--) {
    const n = shape[axis]!;
    const s2 = spacing[axis]! * spacing[axis]!;
    // lines along `axis`: start offsets are all indices whose coordinate on `axis` is 0
    const outer = size / (n * stride);
    for (let o = 0; o < outer; o++) {
      for (let inner = 0; inner < stride; inner++) {
        const start = o * n * stride + inner;
        for (let q = 0; q < n; q++) line[q] = dist[start + q * stride]!;
        lowerEnvelope(line, n, s2, result, roots, bounds);
        for (let q = 0; q < n; q++) dist[start + q * stride] = result[q]!;
      }
    }
    stride *= n;
  }
  return dist;
}

/** One exact 1-D pass: out[q] = min_p (s2·(q − p)² + f[p]) over p < n with finite f[p]. */
function lowerEnvelope(f: Float64Array, n: number, s2: number, out: Float64Array, roots: Int32Array, bounds: Float64Array): void {
  let k = -1; // index of the rightmost parabola in the envelope
  for (let q = 0; q < n; q++) {
    const fq = f[q]!;
    if (fq === Infinity) continue;
    if (k < 0) {
      k = 0;
      roots[0] = q;
      bounds[0] = -Infinity;
      bounds[1] = Infinity;
      continue;
    }
    let cross = 0;
    for (;;) {
      const p = roots[k]!;
      // abscissa where the parabolas rooted at p and q intersect
      cross = (fq + s2 * q * q - (f[p]! + s2 * p * p)) / (2 * s2 * (q - p));
      if (cross > bounds[k]!) break;
      k--; // parabola p is hidden by q everywhere it was lowest; bounds[0] = −∞ stops this at k = 0
    }
    k++;
    roots[k] = q;
    bounds[k] = cross;
    bounds[k + 1] = Infinity;
  }
  if (k < 0) {
    out.fill(Infinity, 0, n);
    return;
  }
  let j = 0;
  for (let q = 0; q < n; q++) {
    while (bounds[j + 1]! < q) j++;
    const p = roots[j]!;
    out[q] = s2 * (q - p) * (q - p) + f[p]!;
  }
}

/** Expands a spacing argument to one positive finite value per axis. */
export function normalizeSpacing(fn: string, spacing: number | readonly number[] | undefined, rank: number): number[] {
  const values =
    spacing === undefined
      ? new Array<number>(rank).fill(1)
      : typeof spacing === 'number'
        ? new Array<number>(rank).fill(spacing)
        : spacing.slice();
  if (values.length !== rank) throw invalidValue(fn, 'spacing', `must have one value per axis (${rank})`, spacing);
  for (const v of values) {
    if (!Number.isFinite(v) || v <= 0) throw invalidValue(fn, 'spacing', 'must hold finite positive numbers', spacing);
  }
  return values;
}

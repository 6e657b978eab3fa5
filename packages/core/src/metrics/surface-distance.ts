/**
 * Surface-distance metrics with medpy's definitions (`medpy.metric.binary.hd95`, `asd`,
 * `__surface_distances`), on binary masks of any rank (2-D slices, 3-D volumes) with voxel spacing.
 *
 * - Surface S(X): X minus its connectivity-1 binary erosion, array border counted as background
 *   (see surface.ts).
 * - Directed distances d(X → Y): for every voxel of S(X), the exact Euclidean distance, in spacing
 *   units, to the nearest voxel of S(Y) (exact EDT, see edt.ts).
 * - HD95(P, G) = 95th percentile (numpy linear interpolation) of d(P → G) ∪ d(G → P).
 * - ASD(P, G) = mean of d(P → G) (directed: prediction to ground truth only, as medpy's `asd`).
 *
 * Spacing is one value per array axis in array order (for a `[D, H, W]` volume: [z, y, x]), or one value
 * for all axes; default 1 (distances in voxels, as the reference, which passes none).
 *
 * Empty rule: medpy raises when either mask is empty; these functions return NaN. The evaluation-level
 * convention of the reference (empty prediction → HD95 = ASD = 0) lives in evaluate.ts.
 */
import { expectSameShape, type NumericNdArray, toMask } from '../internal/ndarray.js';
import { normalizeSpacing, squaredDistanceToSites } from './edt.js';
import { percentile } from './percentile.js';
import { surfaceMask } from './surface.js';

/** Spacing of every axis, or one value for all. */
export type Spacing = number | readonly number[];

/** d(from → to): one distance per surface voxel of `from`, in row-major order of those voxels. Empty if either mask is empty. */
export function surfaceDistances(from: NumericNdArray, to: NumericNdArray, spacing?: Spacing): Float64Array {
  const fn = 'surfaceDistances';
  expectSameShape(fn, 'to', to.shape, from.shape, 'from.shape');
  const shape = from.shape.slice();
  return surfaceDistancesOfMasks(toMask(from), toMask(to), shape, normalizeSpacing(fn, spacing, shape.length));
}

/** 95th-percentile symmetric Hausdorff distance; NaN if either mask is empty. */
export function hd95(pred: NumericNdArray, gt: NumericNdArray, spacing?: Spacing): number {
  const fn = 'hd95';
  expectSameShape(fn, 'gt', gt.shape, pred.shape, 'pred.shape');
  const shape = pred.shape.slice();
  return hd95OfMasks(toMask(pred), toMask(gt), shape, normalizeSpacing(fn, spacing, shape.length));
}

/** Average surface distance from prediction to ground truth; NaN if either mask is empty. */
export function asd(pred: NumericNdArray, gt: NumericNdArray, spacing?: Spacing): number {
  const fn = 'asd';
  expectSameShape(fn, 'gt', gt.shape, pred.shape, 'pred.shape');
  const shape = pred.shape.slice();
  return asdOfMasks(toMask(pred), toMask(gt), shape, normalizeSpacing(fn, spacing, shape.length));
}

/** {@link surfaceDistances} on contiguous 0/1 masks; `spacing` already has one value per axis. */
export function surfaceDistancesOfMasks(
  from: Uint8Array,
  to: Uint8Array,
  shape: readonly number[],
  spacing: readonly number[],
): Float64Array {
  if (isEmpty(from) || isEmpty(to)) return new Float64Array(0);
  const fromSurface = surfaceMask(from, shape);
  const squared = squaredDistanceToSites(surfaceMask(to, shape), shape, spacing);
  const out: number[] = [];
  for (let i = 0; i < fromSurface.length; i++) if (fromSurface[i]) out.push(Math.sqrt(squared[i]!));
  return Float64Array.from(out);
}

/** {@link hd95} on contiguous 0/1 masks. */
export function hd95OfMasks(pred: Uint8Array, gt: Uint8Array, shape: readonly number[], spacing: readonly number[]): number {
  if (isEmpty(pred) || isEmpty(gt)) return NaN;
  const forward = surfaceDistancesOfMasks(pred, gt, shape, spacing);
  const backward = surfaceDistancesOfMasks(gt, pred, shape, spacing);
  const all = new Float64Array(forward.length + backward.length);
  all.set(forward);
  all.set(backward, forward.length);
  return percentile(all, 95);
}

/** {@link asd} on contiguous 0/1 masks. */
export function asdOfMasks(pred: Uint8Array, gt: Uint8Array, shape: readonly number[], spacing: readonly number[]): number {
  if (isEmpty(pred) || isEmpty(gt)) return NaN;
  const d = surfaceDistancesOfMasks(pred, gt, shape, spacing);
  let sum = 0;
  for (const v of d) sum += v;
  return sum / d.length;
}

function isEmpty(mask: Uint8Array): boolean {
  for (let i = 0; i < mask.length; i++) if (mask[i]) return false;
  return true;
}

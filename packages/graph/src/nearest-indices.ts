/**
 * The one nearest-neighbour index rule of the project: which input index each output index reads when
 * an axis of `inLength` samples is resized to `outLength`. @mcsc/core's `zoomNearest` /
 * `zoomSourceIndices` (and through them the trainer's augmentation, evaluation and 1/8-scale label
 * maps), @mcsc/infer's `resizeNearest2D` / `planeGather` (`mcsc predict`, the browser page) and this
 * package's `resizeNearest` op (its gradient) all take their indices from {@link nearestIndices}.
 * Pure: no Node module, safe in browsers.
 *
 * There are two coordinate conventions, and they pick different pixels (e.g. 5 → 3: scipy reads
 * 0 2 4, torch reads 0 1 3), so they are named rules of the one function rather than one rule:
 *
 * - `'scipy'` (default): `scipy.ndimage.zoom(x, factors, order=0)` with its defaults (`mode='constant'`,
 *   `cval=0`, `grid_mode=False`), as the reference pipeline resizes slices and label maps. The scale is
 *   `z = (in − 1) / (out − 1)` in float64 (1 when `out == 1`: scipy divides `where=zoom_div != 0`);
 *   output `k` samples coordinate `c = k · z` and reads `floor(c + 0.5)` (scipy/ndimage/src/ni_interpolation.c
 *   `NI_ZoomShift`, `start = floor(cc + 0.5) − order / 2`). With `mode='constant'` a coordinate with
 *   `c > in − 1` is "outside" and gets `cval`: `(out − 1) · z` can round one ulp above `in − 1` (e.g.
 *   232 → 224, 224 → 216, 768 → 96), and scipy then writes `cval` into the whole last row/column (scipy
 *   issues #4922, #6713; still so in scipy 1.17). The index is then −1, meaning "write the constant".
 * - `'clamp'`: the `'scipy'` rule with that overshoot clamped to `in − 1`, i.e. the "intended" nearest
 *   neighbour; never −1.
 * - `'torch'`: PyTorch's `F.interpolate(x, size, mode='nearest')`, which is ONNX `Resize` with
 *   `coordinate_transformation_mode='asymmetric'`, `nearest_mode='floor'`: output `o` reads
 *   `min(floor(o · in / out), in − 1)`; never −1. The graph's `resizeNearest` op emits that Resize and
 *   uses these indices for its gradient, so they must be the ones onnxruntime reads.
 */
import { McscError } from './errors.js';

/** How the `'scipy'` rule treats a coordinate that rounds past the last input sample. */
export type NearestEdge = 'scipy' | 'clamp';

/** The index rules of {@link nearestIndices}: scipy's order-0 zoom (two edge treatments) or PyTorch's nearest. */
export type NearestRule = NearestEdge | 'torch';

/**
 * The input index read by each of `outLength` output positions along one axis under `rule`
 * (see the module comment); −1 where the `'scipy'` rule reads scipy's constant (`cval`).
 *
 * @throws RangeError when `inLength` is not a positive integer, `outLength` not a non-negative integer
 *   or `rule` not one of `'scipy'`, `'clamp'`, `'torch'`.
 */
export function nearestIndices(inLength: number, outLength: number, rule: NearestRule = 'scipy'): Int32Array {
  if (!Number.isInteger(inLength) || inLength < 1)
    throw new McscError('nearestIndices', `inLength must be a positive integer, got ${inLength}`);
  if (!Number.isInteger(outLength) || outLength < 0)
    throw new McscError('nearestIndices', `outLength must be a non-negative integer, got ${outLength}`);
  const out = new Int32Array(outLength);
  if (rule === 'torch') {
    for (let o = 0; o < outLength; o++) out[o] = Math.min(Math.floor((o * inLength) / outLength), inLength - 1);
    return out;
  }
  if (rule !== 'scipy' && rule !== 'clamp')
    throw new McscError('nearestIndices', `rule must be 'scipy', 'clamp' or 'torch', got ${String(rule)}`);
  const scale = outLength > 1 ? (inLength - 1) / (outLength - 1) : 1;
  for (let k = 0; k < outLength; k++) {
    let c = k * scale;
    if (c > inLength - 1) {
      if (rule === 'scipy') {
        out[k] = -1;
        continue;
      }
      c = inLength - 1;
    }
    out[k] = Math.floor(c + 0.5);
  }
  return out;
}

/**
 * Order-0 (nearest-neighbour) N-D zoom with the semantics of `scipy.ndimage.zoom(x, factors, order=0)`
 * (default `mode='constant'`, `cval=0`, `grid_mode=False`), which the reference pipeline uses to resize
 * slices and label maps (training augmentation, the 1/8-scale contrastive labels, evaluation).
 *
 * Which input index each output index reads is @mcsc/graph's `nearestIndices` (the project's one
 * nearest-neighbour rule, shared with @mcsc/infer's resize and the trainer's graph label zoom); per axis:
 * - the coordinate scale is `z = (in − 1) / (out − 1)` in float64, or 1 when `out == 1`;
 * - output index `k` samples input coordinate `c = k · z` and reads input index `floor(c + 0.5)`;
 * - with `mode='constant'`, a coordinate with `c > in − 1` is "outside" and the output gets `cval`.
 *   That last rule matters: `(out − 1) · ((in − 1)/(out − 1))` can round one ulp above `in − 1`
 *   (e.g. 232 → 224, 224 → 216, 768 → 96), and scipy then writes `cval` into the whole last row/column
 *   (scipy issues #4922, #6713; still so in scipy 1.17). `edge: 'scipy'` (default) reproduces this;
 *   `edge: 'clamp'` instead clamps the coordinate to `in − 1`, the "intended" nearest neighbour.
 *
 * Shapes are row-major (C order); `inShape` and `outShape` must have the same rank.
 * Python's `zoom(x, factors)` derives the output shape as `round(in · factor)` (round half to even):
 * {@link zoomOutputShape} reproduces that, so `zoomNearest(x, s, zoomOutputShape(s, f))` equals
 * `zoom(x, f, order=0)`.
 */
import { nearestIndices, type NearestEdge } from '@mcsc/graph';
import { z } from 'zod';
import { parseOptions, invalidValue } from './internal/errors.js';
import type { NumericTypedArray } from './internal/ndarray.js';

export type { NumericTypedArray };

/** How a coordinate that rounds past the last input sample is treated (@mcsc/graph's `NearestEdge`). */
export type ZoomEdge = NearestEdge;

export interface ZoomOptions {
  /** `'scipy'` (default): coordinates above `in − 1` give `cval`, as scipy's `mode='constant'`; `'clamp'`: use the last sample. */
  edge?: ZoomEdge;
  /** Value written where scipy would write its constant (`edge: 'scipy'` only). Default 0. */
  cval?: number;
}

const zoomOptionsSchema = z.strictObject({
  edge: z.enum(['scipy', 'clamp']).optional(),
  cval: z.number().optional(),
});

/**
 * Zooms `src` (row-major, shape `inShape`) to `outShape` by order-0 interpolation.
 *
 * @returns a new array of the same typed-array type as `src`, shape `outShape`.
 * @throws RangeError when the shapes do not match `src` or each other.
 */
export function zoomNearest<T extends NumericTypedArray>(
  src: T,
  inShape: readonly number[],
  outShape: readonly number[],
  options?: ZoomOptions,
): T {
  const fn = 'zoomNearest';
  const { edge = 'scipy', cval = 0 } = options === undefined ? {} : parseOptions(fn, zoomOptionsSchema, options);
  if (!ArrayBuffer.isView(src)) throw invalidValue(fn, 'src', 'must be a typed array', src);
  checkShape(fn, 'inShape', inShape, 1);
  checkShape(fn, 'outShape', outShape, 0);
  if (outShape.length !== inShape.length) {
    throw invalidValue(fn, 'outShape', `must have the rank of inShape ${JSON.stringify(inShape)}`, outShape);
  }
  const inSize = inShape.reduce((a, b) => a * b, 1);
  if (src.length !== inSize)
    throw invalidValue(fn, 'src.length', `must equal the size of inShape ${JSON.stringify(inShape)} (${inSize})`, src.length);

  const rank = inShape.length;
  // Per axis, the flat input offset contributed by each output index, or -1 for "outside" (cval).
  const inStrides = rowMajorStrides(inShape);
  const axisOffsets = inShape.map((n, axis) => {
    return Array.from(nearestIndices(n, outShape[axis]!, edge), (i) => (i < 0 ? -1 : i * inStrides[axis]!));
  });

  const outSize = outShape.reduce((a, b) => a * b, 1);
  // The constructor of a typed array builds the same type; TypeScript cannot express that on a union.
  const out = new (src.constructor as new (length: number) => T)(outSize);
  if (outSize === 0) return out;

  const counter = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < outSize; flat++) {
    let offset = 0;
    let outside = false;
    for (let axis = 0; axis < rank; axis++) {
      const o = axisOffsets[axis]![counter[axis]!]!;
      if (o < 0) {
        outside = true;
        break;
      }
      offset += o;
    }
    out[flat] = outside ? cval : src[offset]!;
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis]!++;
      if (counter[axis]! < outShape[axis]!) break;
      counter[axis] = 0;
    }
  }
  return out;
}

/** {@link zoomNearest} for one 2-D image of `h × w` (row-major) to `outH × outW`. */
export function zoomNearest2D<T extends NumericTypedArray>(
  src: T,
  h: number,
  w: number,
  outH: number,
  outW: number,
  options?: ZoomOptions,
): T {
  return zoomNearest(src, [h, w], [outH, outW], options);
}

/**
 * The input index that order-0 zoom reads for each of `outLength` output positions along one axis
 * (−1 where scipy's constant mode gives `cval`). Exposed so that callers can build gather indices
 * (e.g. a graph `Gather`) identical to {@link zoomNearest}. @mcsc/graph's `nearestIndices` with
 * core's argument checks (and error messages).
 */
export function zoomSourceIndices(inLength: number, outLength: number, edge: ZoomEdge = 'scipy'): Int32Array {
  const fn = 'zoomSourceIndices';
  if (!Number.isInteger(inLength) || inLength < 1) throw invalidValue(fn, 'inLength', 'must be a positive integer', inLength);
  if (!Number.isInteger(outLength) || outLength < 0) throw invalidValue(fn, 'outLength', 'must be a non-negative integer', outLength);
  return nearestIndices(inLength, outLength, edge);
}

/**
 * The output shape of `scipy.ndimage.zoom(x, factors)`: `round(in · factor)` per axis, with Python's
 * round-half-to-even on the float64 product (e.g. 224 · (28/224) = 28; 5 · 0.5 = 2.5 → 2).
 */
export function zoomOutputShape(inShape: readonly number[], factors: number | readonly number[]): number[] {
  const fn = 'zoomOutputShape';
  checkShape(fn, 'inShape', inShape, 0);
  const f = typeof factors === 'number' ? inShape.map(() => factors) : factors;
  if (f.length !== inShape.length)
    throw invalidValue(fn, 'factors', `must have one factor per axis of ${JSON.stringify(inShape)}`, factors);
  return inShape.map((n, axis) => {
    const factor = f[axis]!;
    if (!Number.isFinite(factor) || factor < 0) throw invalidValue(fn, `factors[${axis}]`, 'must be a finite non-negative number', factor);
    return roundHalfEven(n * factor);
  });
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; Python rounds exact halves to the even neighbour.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = s;
    s *= shape[axis]!;
  }
  return strides;
}

function checkShape(fn: string, field: string, shape: readonly number[], min: number): void {
  if (!Array.isArray(shape) || shape.length === 0) throw invalidValue(fn, field, 'must be a non-empty array of sizes', shape);
  for (const n of shape) {
    if (!Number.isInteger(n) || n < min) {
      throw invalidValue(fn, field, `must hold integers ≥ ${min}`, shape);
    }
  }
}

/**
 * Reading `ndarray` inputs (views included: any shape, stride and offset) into contiguous row-major
 * buffers, with shape checks whose errors name the function and argument.
 */
import ndarray from 'ndarray';
import { invalidValue } from './errors.js';

/** The typed arrays @mcsc/core reads and writes (zoom, metrics, ndarray storage). */
export type NumericTypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/** The element storage @mcsc/core accepts inside an ndarray. */
export type NumericData = NumericTypedArray | number[];

/** An ndarray (or a view of one: `.lo`, `.hi`, `.step`, `.transpose`, `.pick`) over numeric storage. */
export type NumericNdArray = ndarray.NdArray<NumericData>;

/** Checks that `a` is an ndarray of the given rank; `dims` names the axes for the message (e.g. "[B, K, H, W]"). */
export function expectRank(fn: string, field: string, a: NumericNdArray, rank: number, dims: string): number[] {
  if (a === null || typeof a !== 'object' || !Array.isArray(a.shape) || !Array.isArray(a.stride)) {
    throw invalidValue(fn, field, `must be an ndarray ${dims}`, a);
  }
  if (a.shape.length !== rank) throw invalidValue(fn, `${field}.shape`, `must be ${dims}`, a.shape);
  return a.shape.slice();
}

/** Checks that `a` is an ndarray of any rank in `[minRank, maxRank]`. */
export function expectRankBetween(fn: string, field: string, a: NumericNdArray, minRank: number, maxRank: number): number[] {
  if (a === null || typeof a !== 'object' || !Array.isArray(a.shape) || !Array.isArray(a.stride)) {
    throw invalidValue(fn, field, `must be an ndarray of rank ${minRank}…${maxRank}`, a);
  }
  if (a.shape.length < minRank || a.shape.length > maxRank) {
    throw invalidValue(fn, `${field}.shape`, `must have rank ${minRank}…${maxRank}`, a.shape);
  }
  return a.shape.slice();
}

/** Throws unless two shapes are equal. */
export function expectSameShape(
  fn: string,
  field: string,
  shape: readonly number[],
  expected: readonly number[],
  expectedName: string,
): void {
  if (shape.length !== expected.length || shape.some((n, i) => n !== expected[i])) {
    throw invalidValue(fn, `${field}.shape`, `must equal ${expectedName} ${JSON.stringify(expected)}`, shape);
  }
}

/** Copies any ndarray view into a contiguous row-major Float64Array. */
export function toFloat64(a: NumericNdArray): Float64Array {
  const out = new Float64Array(sizeOf(a.shape));
  copyInto(a, out);
  return out;
}

/**
 * Copies an ndarray of class labels into a contiguous Int32Array, checking every value is an integer
 * in `[0, numClasses)` (or merely a non-negative integer when `numClasses` is undefined).
 */
export function toLabels(fn: string, field: string, a: NumericNdArray, numClasses?: number): Int32Array {
  const values = toFloat64(a);
  return checkLabels(fn, field, values, numClasses);
}

/** Like {@link toLabels} for a flat array-like. */
export function checkLabels(fn: string, field: string, values: ArrayLike<number>, numClasses?: number): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || (numClasses !== undefined && v >= numClasses)) {
      const expected = numClasses === undefined ? 'non-negative integers' : `integers in [0, ${numClasses})`;
      throw invalidValue(fn, field, `must hold ${expected} (element ${i})`, v);
    }
    out[i] = v;
  }
  return out;
}

/** Copies an ndarray into a contiguous Uint8Array mask: 1 where the element is non-zero. */
export function toMask(a: NumericNdArray): Uint8Array {
  const values = toFloat64(a);
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] !== 0 ? 1 : 0;
  return out;
}

/** Wraps a contiguous row-major buffer as an ndarray of the given shape. */
export function wrap<D extends Float64Array | Int32Array>(data: D, shape: readonly number[]): ndarray.NdArray<D> {
  return ndarray(data, shape.slice());
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function copyInto(a: NumericNdArray, out: Float64Array): void {
  const shape = a.shape;
  const stride = a.stride;
  const rank = shape.length;
  const size = out.length;
  if (size === 0) return;
  // ndarray storage is a typed array or number[]; both index by number.
  const data = a.data as ArrayLike<number>;
  if (rank === 0) {
    out[0] = data[a.offset]!;
    return;
  }
  const counter = new Array<number>(rank).fill(0);
  let src = a.offset;
  const last = rank - 1;
  const lastLen = shape[last]!;
  const lastStride = stride[last]!;
  for (let flat = 0; flat < size; ) {
    let p = src;
    for (let i = 0; i < lastLen; i++, p += lastStride) out[flat++] = data[p]!;
    // advance the odometer over the leading axes
    let axis = last - 1;
    while (axis >= 0) {
      counter[axis]!++;
      src += stride[axis]!;
      if (counter[axis]! < shape[axis]!) break;
      src -= stride[axis]! * shape[axis]!;
      counter[axis] = 0;
      axis--;
    }
  }
}

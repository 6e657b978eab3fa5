/**
 * Conversion of arrays read from disk (any numeric dtype) to the dataset's element types:
 * float32 intensities and uint8 class indices. `where` names the file and field for error messages,
 * e.g. `ACDC slice /data/slices/case1.h5: dataset 'label'`.
 */
import { McscError } from '@mcsc/graph';

/** Numeric arrays a file reader may return (64-bit integers arrive as BigInt arrays). */
export type SourceArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * The values as float32 (the same array when it already is one). Every value must be finite: a NaN or
 * infinite voxel is an error naming `where` and its position (given `shape`, as slice / y / x).
 */
export function toFloat32(data: SourceArray, where: string, shape?: readonly number[]): Float32Array {
  let out: Float32Array;
  if (data instanceof Float32Array) {
    out = data;
  } else {
    out = new Float32Array(data.length);
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
      for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!);
    } else {
      out.set(data);
    }
  }
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!)) {
      const original = data instanceof BigInt64Array || data instanceof BigUint64Array ? String(data[i]) : String(data[i]);
      throw new McscError(where, `value ${original} at ${position(i, shape)} is not finite, expected finite numbers`);
    }
  }
  return out;
}

/**
 * The values as uint8 class indices. Float labels (TransUNet stores them as float32) must hold whole
 * numbers; every value must lie in 0 … 255. Errors name `where`, the position and the value.
 */
export function toLabels(data: SourceArray, where: string, shape?: readonly number[]): Uint8Array {
  if (data instanceof Uint8Array) return data;
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]!);
    if (!Number.isInteger(v) || v < 0 || v > 255) {
      throw new McscError(where, `label value ${v} at ${position(i, shape)} is not a class index, expected integers 0 … 255`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Throws unless every label is below `numClasses`; the error names the position (given `shape`), the
 * value and, given `origin`, where the class count came from (`… expected 0 … 2 (3 classes, from
 * classes.json /d/classes.json)`).
 */
export function checkLabelRange(label: Uint8Array, numClasses: number, where: string, shape?: readonly number[], origin?: string): void {
  for (let i = 0; i < label.length; i++) {
    if (label[i]! >= numClasses) {
      const from = origin === undefined ? '' : ` (${numClasses} classes, from ${origin})`;
      throw new McscError(where, `label value ${label[i]} at ${position(i, shape)} is out of range, expected 0 … ${numClasses - 1}${from}`);
    }
  }
}

/**
 * Where flat index `i` of a row-major array lies: `slice z, y, x` for [D, H, W], `y, x` for [H, W]
 * (`index i` without a shape).
 */
export function position(i: number, shape?: readonly number[]): string {
  if (!shape || shape.length < 2 || shape.length > 3) return `index ${i}`;
  const w = shape[shape.length - 1]!;
  const h = shape[shape.length - 2]!;
  const yx = `y ${Math.floor(i / w) % h}, x ${i % w}`;
  return shape.length === 3 ? `slice ${Math.floor(i / (w * h))}, ${yx}` : yx;
}

/** Renders a shape as `[a, b, c]`. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

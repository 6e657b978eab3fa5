/**
 * Softmax over one axis of an ndarray, in float64 with the maximum subtracted for stability:
 * p_k = exp(z_k − max_j z_j) / Σ_j exp(z_j − max_j z_j).
 */
import type ndarray from 'ndarray';
import { invalidValue } from '../internal/errors.js';
import { type NumericNdArray, toFloat64, wrap } from '../internal/ndarray.js';

/**
 * Softmax of `logits` along `axis` (default 1, the class axis of `[B, K, H, W]`).
 *
 * @param logits any-rank ndarray (views accepted).
 * @returns a new contiguous float64 ndarray of the same shape.
 */
export function softmax(logits: NumericNdArray, axis = 1): ndarray.NdArray<Float64Array> {
  const fn = 'softmax';
  const shape = logits.shape.slice();
  if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) {
    throw invalidValue(fn, 'axis', `must be an axis of shape ${JSON.stringify(shape)}`, axis);
  }
  const z = toFloat64(logits);
  const k = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * k * inner + i;
      // exp(z − max) / Σ rather than exp(z − logΣexp): dividing keeps full float64 precision.
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, z[base + c * inner]!);
      let sum = 0;
      for (let c = 0; c < k; c++) {
        const e = Math.exp(z[base + c * inner]! - max);
        z[base + c * inner] = e;
        sum += e;
      }
      for (let c = 0; c < k; c++) z[base + c * inner]! /= sum;
    }
  }
  return wrap(z, shape);
}

/** log Σ_c exp z[base + c·stride] over c < k, with the maximum subtracted first (no overflow). */
export function logSumExp(z: Float64Array, base: number, k: number, stride: number): number {
  let max = -Infinity;
  for (let c = 0; c < k; c++) max = Math.max(max, z[base + c * stride]!);
  let sum = 0;
  for (let c = 0; c < k; c++) sum += Math.exp(z[base + c * stride]! - max);
  return max + Math.log(sum);
}

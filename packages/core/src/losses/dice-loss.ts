/**
 * Soft Dice loss in the SSL4MIS form (`utils/losses.py` `DiceLoss`), docs/method/losses.md#supervised-loss: for each class c of K,
 * background included, with sums over the whole batch and every pixel,
 *   d_c = 1 − (2·Σ p_c·g_c + 1e-5) / (Σ p_c² + Σ g_c² + 1e-5),
 * where g_c is the one-hot indicator of class c; the loss is the plain mean (1/K) Σ_c d_c.
 * A class absent from both prediction and labels gives d_c = 1 − 1e-5/1e-5 = 0.
 */
import { invalidValue } from '../internal/errors.js';
import { expectRankBetween, expectSameShape, type NumericNdArray, toFloat64, toLabels } from '../internal/ndarray.js';

const SMOOTH = 1e-5;

/**
 * @param probs `[B, K, H, W]` probabilities (softmax output; `[B, K, ...S]` accepted).
 * @param labels `[B, H, W]` class indices in `[0, K)`.
 * @param numClasses K; must equal `probs.shape[1]`.
 * @returns the mean over the K classes of the per-class Dice loss, float64.
 */
export function diceLoss(probs: NumericNdArray, labels: NumericNdArray, numClasses: number): number {
  return mean(diceLossPerClass(probs, labels, numClasses));
}

/** The K per-class terms d_c of {@link diceLoss}, class 0 (background) first. */
export function diceLossPerClass(probs: NumericNdArray, labels: NumericNdArray, numClasses: number): Float64Array {
  const fn = 'diceLoss';
  const shape = expectRankBetween(fn, 'probs', probs, 2, 8);
  const [b, k] = [shape[0]!, shape[1]!];
  if (!Number.isInteger(numClasses) || numClasses < 1) throw invalidValue(fn, 'numClasses', 'must be a positive integer', numClasses);
  if (k !== numClasses) throw invalidValue(fn, 'probs.shape[1]', `must equal numClasses ${numClasses}`, k);
  expectSameShape(fn, 'labels', labels.shape, [b, ...shape.slice(2)], '[B, ...spatial] of probs');
  const p = toFloat64(probs);
  const y = toLabels(fn, 'labels', labels, k);
  const spatial = shape.slice(2).reduce((a, c) => a * c, 1);
  const intersect = new Float64Array(k);
  const predSq = new Float64Array(k);
  const targetSq = new Float64Array(k);
  for (let bi = 0; bi < b; bi++) {
    for (let s = 0; s < spatial; s++) {
      const target = y[bi * spatial + s]!;
      targetSq[target]! += 1; // g² = g for a one-hot indicator
      for (let c = 0; c < k; c++) {
        const v = p[(bi * k + c) * spatial + s]!;
        predSq[c]! += v * v;
        if (c === target) intersect[c]! += v;
      }
    }
  }
  const terms = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    terms[c] = 1 - (2 * intersect[c]! + SMOOTH) / (predSq[c]! + targetSq[c]! + SMOOTH);
  }
  return terms;
}

function mean(values: Float64Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

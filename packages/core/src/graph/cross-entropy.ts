/**
 * Cross-entropy on logits as graph ops (differentiable in the logits): the supervised term of docs/method/losses.md#supervised-loss.
 * Mirrors the float64 reference `crossEntropy` (losses/cross-entropy.ts), `torch.nn.CrossEntropyLoss()`
 * with its defaults; optional class weights follow torch's `weight=` semantics.
 */
import { div, greater, less, logSoftmax, mul, neg, reduceMean, reduceSum, reshape, where, type Tensor } from '@mcsc/graph';
import { invalidValue } from '../internal/errors.js';
import { checkLabels, resolveClassWeights, type ClassWeighting } from './class-prevalence.js';
import { classAxisShape, oneHotClassAxis } from './one-hot.js';

export interface CrossEntropyOptions {
  /** Default `'none'` (the reference). See {@link ClassWeighting}. */
  classWeights?: ClassWeighting;
}

/**
 * Unweighted: CE = (1/N) Σ_n −log softmax(z_n)[y_n] over all N = B·|S| pixels.
 * Weighted (w ∈ ℝ^K): CE = Σ_n w_{y_n}·(−log softmax(z_n)[y_n]) / Σ_n w_{y_n}, 0 when Σ_n w_{y_n} = 0.
 *
 * @param logits float32 `[B, K, ...S]`.
 * @param labels int64 `[B, ...S]`, values in `[0, K)` (no gradient).
 * @returns a float32 scalar tensor.
 */
export function crossEntropy(logits: Tensor, labels: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const fn = 'graphLosses.crossEntropy';
  const k = checkLogits(fn, 'logits', logits, labels);
  checkLabels(fn, labels, k);
  const target = oneHotClassAxis(labels, k);
  const picked = reduceSum(mul(logSoftmax(logits, 1), target), [1]); // log p at the label, [B, ...S]
  const weights = resolveClassWeights(fn, options.classWeights, labels, k);
  if (weights === null) return neg(reduceMean(picked));
  const pixelWeight = reduceSum(mul(target, reshape(weights, classAxisShape(k, logits.rank))), [1]);
  const total = reduceSum(pixelWeight);
  const safe = where(less(total, 1e-30), 1, total);
  return where(greater(total, 0), neg(div(reduceSum(mul(pixelWeight, picked)), safe)), 0);
}

/** Checks `[B, K, ...S]` against `[B, ...S]`; returns K. */
export function checkLogits(fn: string, field: string, x: Tensor, labels: Tensor): number {
  if (x === null || typeof x !== 'object' || x.dtype !== 'float32' || x.rank < 2) {
    throw invalidValue(
      fn,
      field,
      'must be a float32 tensor [B, K, ...S]',
      x === null || typeof x !== 'object' ? x : `${x.dtype}[${x.shape.join(', ')}]`,
    );
  }
  const expected = [x.shape[0]!, ...x.shape.slice(2)];
  if (labels?.shape === undefined || labels.shape.length !== expected.length || labels.shape.some((d, i) => d !== expected[i])) {
    throw invalidValue(fn, 'labels.shape', `must equal [B, ...S] of ${field} [${expected.join(', ')}]`, labels?.shape);
  }
  return x.shape[1]!;
}

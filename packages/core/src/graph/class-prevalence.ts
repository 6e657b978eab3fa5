/**
 * Class prevalence as graph ops: the per-class pixel counts of a label map and the inverse-prevalence
 * weights that the supervised losses can optionally use (docs/method/losses.md, "the prevalence of each class").
 *
 * The contrastive loss has its own, per-group prevalence (n_c inside each block group, the balanced
 * denominator of docs/method/losses.md#class-balanced-supervised-contrastive-loss); {@link blockConLoss} exposes those counts and weights per group. The helpers
 * here are for the supervised CE and Dice, whose default (as in the reference) is no weighting.
 */
import { div, greater, less, oneHot, reduceSum, stopGradient, where, type Tensor } from '@mcsc/graph';
import { invalidValue } from '../internal/errors.js';

/**
 * How the supervised CE and Dice weight the K classes.
 * - `'none'` (default, the reference): every class weighs 1.
 * - `'prevalence'`: inverse prevalence in the batch, w_c ∝ 1/n_c over the classes present, normalised so
 *   that Σ_c w_c = K (as for uniform weights); classes absent from the labels get 0. See {@link prevalenceWeights}.
 * - K numbers, or a float32 `[K]` tensor: fixed weights (torch's `CrossEntropyLoss(weight=…)`,
 *   SSL4MIS `DiceLoss(…, weight)`).
 */
export type ClassWeighting = 'none' | 'prevalence' | readonly number[] | Tensor;

/**
 * n_c: how many pixels of `labels` carry class c, as float32 `[K]` (no gradient).
 *
 * @param labels int64 class indices of any shape, values in `[0, K)` (out-of-range values count nowhere).
 * @param numClasses K.
 */
export function classCounts(labels: Tensor, numClasses: number): Tensor {
  const fn = 'classCounts';
  checkLabels(fn, labels, numClasses);
  const hot = oneHot(stopGradient(labels), numClasses);
  return reduceSum(
    hot,
    hot.shape.slice(0, -1).map((_, i) => i),
  );
}

/**
 * Inverse-prevalence class weights of `labels`, float32 `[K]` (no gradient):
 *   w_c = (1/n_c) / ((1/K)·Σ_{c' : n_c' > 0} 1/n_c')   for n_c > 0,   w_c = 0 for n_c = 0,
 * so that Σ_c w_c = K. With these weights the CE of {@link crossEntropy} becomes the mean over the present
 * classes of each class's mean pixel loss, and the Dice of {@link diceLoss} a weighted mean of the
 * per-class terms in which rare structures weigh more than background.
 */
export function prevalenceWeights(labels: Tensor, numClasses: number): Tensor {
  const counts = classCounts(labels, numClasses);
  const present = greater(counts, 0);
  const inverse = where(present, div(1, where(less(counts, 1), 1, counts)), 0);
  return stopGradient(div(inverse, div(reduceSum(inverse), numClasses)));
}

/** Resolves a {@link ClassWeighting} to a float32 `[K]` tensor, or null for `'none'`. */
export function resolveClassWeights(fn: string, weighting: ClassWeighting | undefined, labels: Tensor, numClasses: number): Tensor | null {
  if (weighting === undefined || weighting === 'none') return null;
  if (weighting === 'prevalence') return prevalenceWeights(labels, numClasses);
  if (Array.isArray(weighting)) {
    if (weighting.length !== numClasses || weighting.some((w) => typeof w !== 'number' || !Number.isFinite(w) || w < 0)) {
      throw invalidValue(fn, 'options.classWeights', `must hold K = ${numClasses} finite non-negative numbers`, weighting);
    }
    return labels.graph.constant(Float32Array.from(weighting), [numClasses]);
  }
  const t = weighting as Tensor;
  if (typeof t !== 'object' || t === null || !('graph' in t) || t.graph !== labels.graph) {
    throw invalidValue(
      fn,
      'options.classWeights',
      "must be 'none', 'prevalence', K numbers or a float32 [K] tensor of the same graph",
      weighting,
    );
  }
  if (t.dtype !== 'float32' || t.rank !== 1 || t.shape[0] !== numClasses) {
    throw invalidValue(fn, 'options.classWeights', `must be a float32 [${numClasses}] tensor`, `${t.dtype}[${t.shape.join(', ')}]`);
  }
  return stopGradient(t);
}

export function checkLabels(fn: string, labels: Tensor, numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw invalidValue(fn, 'numClasses', 'must be a positive integer', numClasses);
  if (labels === null || typeof labels !== 'object' || labels.dtype !== 'int64') {
    throw invalidValue(
      fn,
      'labels',
      'must be an int64 tensor of class indices',
      labels === null || typeof labels !== 'object' ? labels : `${labels.dtype}[${labels.shape.join(', ')}]`,
    );
  }
}

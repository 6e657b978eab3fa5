/**
 * Class prevalence among the points of one contrastive group, and the balancing weights the
 * class-balanced supervised contrastive loss (docs/method/losses.md) derives from it.
 *
 * For an anchor i and another point j ≠ i, the denominator term exp(s_ij) is divided by
 *   w_ij = n_{y_j} − [y_j = y_i],
 * the number of points other than i that share j's class. Every class therefore contributes the mean,
 * not the sum, of its exp-similarities to D_i: a class with 10 000 background points weighs as much as
 * one with 20 myocardium points. This is the "prevalence of each class" of the MCSC abstract.
 */
import { invalidValue } from '../internal/errors.js';
import { checkLabels } from '../internal/ndarray.js';

export interface ClassPrevalence {
  /** n_c: how many points carry label c, for c in [0, numClasses). */
  readonly counts: Int32Array;
  /** 1/n_c: weight of a negative j of class c (y_c ≠ y_i); 0 where n_c = 0. */
  readonly weights: Float64Array;
  /** 1/(n_c − 1): weight of a positive j of class c (y_j = y_i, j ≠ i); 0 where n_c ≤ 1. */
  readonly positiveWeights: Float64Array;
}

/**
 * Counts the labels and returns the balancing weights of {@link ClassPrevalence}.
 *
 * @param labels N class indices, integers in `[0, numClasses)`.
 * @param numClasses K.
 */
export function classPrevalence(labels: ArrayLike<number>, numClasses: number): ClassPrevalence {
  const fn = 'classPrevalence';
  if (!Number.isInteger(numClasses) || numClasses < 1) throw invalidValue(fn, 'numClasses', 'must be a positive integer', numClasses);
  const y = checkLabels(fn, 'labels', labels, numClasses);
  const counts = new Int32Array(numClasses);
  for (const c of y) counts[c]!++;
  const weights = new Float64Array(numClasses);
  const positiveWeights = new Float64Array(numClasses);
  for (let c = 0; c < numClasses; c++) {
    const n = counts[c]!;
    weights[c] = n > 0 ? 1 / n : 0;
    positiveWeights[c] = n > 1 ? 1 / (n - 1) : 0;
  }
  return { counts, weights, positiveWeights };
}

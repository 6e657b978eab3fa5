/**
 * Class-balanced supervised contrastive loss (docs/method/losses.md; Liu et al., BMVC 2023, after Hu et al.,
 * "Semi-supervised contrastive learning for label-efficient medical image segmentation", MICCAI 2021,
 * and Khosla et al., "Supervised Contrastive Learning", NeurIPS 2020).
 *
 * Over N points with features f_i (unit length expected) and labels y_i:
 *   s_ij = f_i·f_j / τ
 *   n_c  = #{k : y_k = c},   P(i) = {j ≠ i : y_j = y_i}
 *   w_ij = n_{y_j} − [j ∈ P(i)]                         (see class-prevalence.ts)
 *   D_i  = Σ_{j≠i} exp(s_ij) / w_ij
 *   ℓ_i  = −1/(|P(i)| + 1e-6) · Σ_{j∈P(i)} (s_ij − log(D_i + 1e-6))
 *   L    = (1/N) Σ_i ℓ_i
 * A point without positives has ℓ_i = 0 but still counts in the mean. No max is subtracted from s_ij
 * (the reference does not, and the 1e-6 inside the log makes that observable); with unit features and
 * τ = 0.1, |s_ij| ≤ 10, far from overflow. Everything accumulates in float64.
 */
import { z } from 'zod';
import { parseOptions, invalidValue } from '../internal/errors.js';
import { checkLabels, expectRank, type NumericNdArray, toFloat64 } from '../internal/ndarray.js';
import { classPrevalence } from './class-prevalence.js';

export interface SupConOptions {
  /** τ. Default 0.1 (MCSC). */
  temperature?: number;
  /** K; default max(label) + 1. */
  numClasses?: number;
}

export const supConOptionsSchema = z.strictObject({
  temperature: z.number().positive().optional(),
  numClasses: z.number().int().positive().optional(),
});

/**
 * @param features `[N, C]` point features (ndarray, views accepted).
 * @param labels N class indices (ndarray `[N]` or any array-like).
 * @returns L as defined above; 0 when N = 0.
 */
export function supConLoss(features: NumericNdArray, labels: NumericNdArray | ArrayLike<number>, options?: SupConOptions): number {
  const fn = 'supConLoss';
  const { temperature = 0.1, numClasses } = parseOptions(fn, supConOptionsSchema, options);
  const [n, c] = expectRank(fn, 'features', features, 2, '[N, C]') as [number, number];
  const flatLabels = isNdArray(labels) ? toFloat64(labels) : labels;
  if (flatLabels.length !== n) throw invalidValue(fn, 'labels.length', `must equal N = ${n}`, flatLabels.length);
  const y = checkLabels(fn, 'labels', flatLabels, numClasses);
  return supConLossFlat(toFloat64(features), y, c, temperature, numClasses ?? maxPlusOne(y));
}

/**
 * The loss on contiguous buffers: `features` row-major `[N, C]`, `labels` N integers in `[0, numClasses)`.
 * Shared with the block loss; arguments are trusted.
 */
export function supConLossFlat(
  features: Float64Array,
  labels: Int32Array,
  channels: number,
  temperature: number,
  numClasses: number,
): number {
  const n = labels.length;
  if (n === 0) return 0;
  const { counts } = classPrevalence(labels, numClasses);
  const denominator = new Float64Array(n); // D_i
  const positiveSum = new Float64Array(n); // Σ_{j∈P(i)} s_ij
  const positiveCount = new Float64Array(n); // |P(i)|
  for (let i = 0; i < n; i++) {
    const yi = labels[i]!;
    const fi = i * channels;
    for (let j = i + 1; j < n; j++) {
      const yj = labels[j]!;
      const fj = j * channels;
      let dot = 0;
      for (let k = 0; k < channels; k++) dot += features[fi + k]! * features[fj + k]!;
      const s = dot / temperature;
      const e = Math.exp(s);
      if (yi === yj) {
        // j ∈ P(i) and i ∈ P(j): w = n_y − 1 both ways
        const w = counts[yi]! - 1;
        denominator[i]! += e / w;
        denominator[j]! += e / w;
        positiveSum[i]! += s;
        positiveSum[j]! += s;
        positiveCount[i]!++;
        positiveCount[j]!++;
      } else {
        denominator[i]! += e / counts[yj]!; // w_ij = n_{y_j}
        denominator[j]! += e / counts[yi]!; // w_ji = n_{y_i}
      }
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = positiveCount[i]!;
    total += -(positiveSum[i]! - p * Math.log(denominator[i]! + 1e-6)) / (p + 1e-6);
  }
  return total / n;
}

function isNdArray(x: NumericNdArray | ArrayLike<number>): x is NumericNdArray {
  return typeof x === 'object' && x !== null && Array.isArray((x as { shape?: unknown }).shape) && 'stride' in x;
}

function maxPlusOne(y: Int32Array): number {
  let max = 0;
  for (const v of y) if (v > max) max = v;
  return max + 1;
}

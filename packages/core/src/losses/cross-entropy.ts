/**
 * Multi-class cross-entropy on logits, as `torch.nn.CrossEntropyLoss()` with its defaults
 * (mean reduction, no weights, no label smoothing): the supervised term of docs/method/losses.md#supervised-loss.
 */
import { invalidValue } from '../internal/errors.js';
import { logSumExp } from './softmax.js';
import { expectRankBetween, expectSameShape, type NumericNdArray, toFloat64, toLabels } from '../internal/ndarray.js';

/**
 * CE = (1/N) Σ_n −log softmax(z_n)[y_n] = (1/N) Σ_n (log Σ_k exp z_nk − z_{n,y_n}), over all N = B·H·W pixels.
 *
 * @param logits `[B, K, H, W]` (any spatial rank ≥ 0 after K is accepted: `[B, K, ...S]`).
 * @param labels `[B, H, W]` (`[B, ...S]`), integers in `[0, K)`.
 * @returns the mean over pixels, accumulated in float64. Empty input (N = 0) gives 0.
 */
export function crossEntropy(logits: NumericNdArray, labels: NumericNdArray): number {
  const fn = 'crossEntropy';
  const shape = expectRankBetween(fn, 'logits', logits, 2, 8);
  const [b, k] = [shape[0]!, shape[1]!];
  if (k < 1) throw invalidValue(fn, 'logits.shape[1]', 'must be the number of classes K ≥ 1', k);
  expectSameShape(fn, 'labels', labels.shape, [b, ...shape.slice(2)], '[B, ...spatial] of logits');
  const z = toFloat64(logits);
  const y = toLabels(fn, 'labels', labels, k);
  const spatial = shape.slice(2).reduce((a, c) => a * c, 1);
  const n = b * spatial;
  if (n === 0) return 0;
  let total = 0;
  for (let bi = 0; bi < b; bi++) {
    for (let s = 0; s < spatial; s++) {
      const base = bi * k * spatial + s;
      const target = y[bi * spatial + s]!;
      total += logSumExp(z, base, k, spatial) - z[base + target * spatial]!;
    }
  }
  return total / n;
}

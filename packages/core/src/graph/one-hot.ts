/** One-hot encoding on the class axis 1 of `[B, ...S]` labels, for the supervised losses. */
import { oneHot, stopGradient, transpose, type Tensor } from '@mcsc/graph';

/** float32 `[B, K, ...S]` indicator of int64 `[B, ...S]` labels (no gradient). */
export function oneHotClassAxis(labels: Tensor, numClasses: number): Tensor {
  const hot = oneHot(stopGradient(labels), numClasses); // [B, ...S, K]
  const rank = hot.rank;
  return transpose(hot, [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)]);
}

/** `[1, K, 1, …]`: a `[K]` vector shaped to broadcast against `[B, K, ...S]` of the given rank. */
export function classAxisShape(numClasses: number, rank: number): number[] {
  return [1, numClasses, ...Array.from({ length: rank - 2 }, () => 1)];
}

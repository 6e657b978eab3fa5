/**
 * The supervised loss of docs/method/losses.md#supervised-loss as graph ops, L_sup = 0.5·(CE(logits, y) + Dice(softmax(logits), y)),
 * with its two parts; class weighting (default off, as the reference) applies to both.
 */
import { add, mul, softmax, type Tensor } from '@mcsc/graph';
import { crossEntropy } from './cross-entropy.js';
import { diceLoss } from './dice-loss.js';
import type { ClassWeighting } from './class-prevalence.js';

export interface SupervisedLossOptions {
  /** Default `'none'`. See {@link ClassWeighting}. */
  classWeights?: ClassWeighting;
}

/**
 * @param logits float32 `[B, K, ...S]`.
 * @param labels int64 `[B, ...S]`.
 * @returns `{ loss, ce, dice }`, float32 scalars.
 */
export function supervisedLoss(
  logits: Tensor,
  labels: Tensor,
  options: SupervisedLossOptions = {},
): { loss: Tensor; ce: Tensor; dice: Tensor } {
  const ce = crossEntropy(logits, labels, options);
  const dice = diceLoss(softmax(logits, 1), labels, logits.shape[1]!, options);
  return { loss: mul(add(ce, dice), 0.5), ce, dice };
}

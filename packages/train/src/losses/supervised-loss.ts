/**
 * The supervised loss of SPEC §2 as graph ops: L_sup = 0.5·(CE(logits, y) + Dice(softmax, y)).
 * CE: mean over pixels of −log softmax at the label. Dice (SSL4MIS `DiceLoss`): mean over all K
 * classes, background included, of 1 − (2·Σp·g + 1e-5)/(Σp² + Σg² + 1e-5), sums over the whole batch.
 */
import { add, div, logSoftmax, mul, neg, oneHot, reduceMean, reduceSum, softmax, sub, transpose, type Tensor } from '@mcsc/graph';

/** One-hot [B, K, H, W] of int64 labels [B, H, W]. */
export function oneHotNCHW(labels: Tensor, numClasses: number): Tensor {
  return transpose(oneHot(labels, numClasses), [0, 3, 1, 2]);
}

export function crossEntropyLoss(logits: Tensor, labels: Tensor): Tensor {
  const [b, k, h, w] = logits.shape as [number, number, number, number];
  return neg(div(reduceSum(mul(logSoftmax(logits, 1), oneHotNCHW(labels, k))), b * h * w));
}

export function diceLoss(probs: Tensor, labels: Tensor): Tensor {
  const k = probs.shape[1]!;
  const target = oneHotNCHW(labels, k);
  const axes = [0, 2, 3];
  const intersect = reduceSum(mul(probs, target), axes);
  const denominator = add(add(reduceSum(mul(probs, probs), axes), reduceSum(target, axes)), 1e-5);
  return reduceMean(sub(1, div(add(mul(intersect, 2), 1e-5), denominator)));
}

export function supervisedLoss(logits: Tensor, labels: Tensor): { loss: Tensor; ce: Tensor; dice: Tensor } {
  const ce = crossEntropyLoss(logits, labels);
  const dice = diceLoss(softmax(logits, 1), labels);
  return { loss: mul(add(ce, dice), 0.5), ce, dice };
}

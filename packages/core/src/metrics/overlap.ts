/**
 * Overlap metrics on binary masks, medpy definitions (`medpy.metric.binary.dc`, `jc`): any non-zero
 * element is foreground; masks of any rank, same shape.
 *
 * Empty rule: when both masks are empty the ratio is 0/0; medpy's `dc` returns 0 there (its
 * ZeroDivisionError branch, hit with the numpy 1.x of the reference era), and this module returns 0 for
 * both Dice and Jaccard (medpy's `jc` would raise).
 */
import { expectSameShape, type NumericNdArray, toMask } from '../internal/ndarray.js';

/** Dice = 2|P ∩ G| / (|P| + |G|); 0 when both are empty. */
export function dice(pred: NumericNdArray, gt: NumericNdArray): number {
  expectSameShape('dice', 'gt', gt.shape, pred.shape, 'pred.shape');
  return diceOfMasks(toMask(pred), toMask(gt));
}

/** Jaccard = |P ∩ G| / |P ∪ G|; 0 when both are empty. */
export function jaccard(pred: NumericNdArray, gt: NumericNdArray): number {
  expectSameShape('jaccard', 'gt', gt.shape, pred.shape, 'pred.shape');
  return jaccardOfMasks(toMask(pred), toMask(gt));
}

/** {@link dice} on contiguous 0/1 masks of equal length. */
export function diceOfMasks(pred: Uint8Array, gt: Uint8Array): number {
  const { intersection, sizePred, sizeGt } = counts(pred, gt);
  const denominator = sizePred + sizeGt;
  return denominator === 0 ? 0 : (2 * intersection) / denominator;
}

/** {@link jaccard} on contiguous 0/1 masks of equal length. */
export function jaccardOfMasks(pred: Uint8Array, gt: Uint8Array): number {
  const { intersection, sizePred, sizeGt } = counts(pred, gt);
  const union = sizePred + sizeGt - intersection;
  return union === 0 ? 0 : intersection / union;
}

function counts(pred: Uint8Array, gt: Uint8Array): { intersection: number; sizePred: number; sizeGt: number } {
  let intersection = 0;
  let sizePred = 0;
  let sizeGt = 0;
  for (let i = 0; i < pred.length; i++) {
    sizePred += pred[i]!;
    sizeGt += gt[i]!;
    intersection += pred[i]! & gt[i]!;
  }
  return { intersection, sizePred, sizeGt };
}

/**
 * Soft Dice loss in the SSL4MIS form as graph ops (differentiable in the probabilities), docs/method/losses.md#supervised-loss.
 * Mirrors the float64 reference `diceLoss` (losses/dice-loss.ts): for each class c of K, background
 * included, with sums over the whole batch and every pixel,
 *   d_c = 1 − (2·Σ p_c·g_c + 1e-5) / (Σ p_c² + Σ g_c² + 1e-5),
 * and the loss is (1/K) Σ_c w_c·d_c with w_c = 1 unless class weights are asked for (SSL4MIS
 * `DiceLoss.forward(…, weight)`). A class absent from both prediction and labels gives d_c = 0.
 */
import { add, div, mul, reduceMean, reduceSum, sub, type Tensor } from '@mcsc/graph';
import { invalidValue } from '../internal/errors.js';
import { checkLabels, classCounts, resolveClassWeights, type ClassWeighting } from './class-prevalence.js';
import { checkLogits } from './cross-entropy.js';
import { oneHotClassAxis } from './one-hot.js';

const SMOOTH = 1e-5;

export interface DiceLossOptions {
  /** Default `'none'` (the reference). See {@link ClassWeighting}. */
  classWeights?: ClassWeighting;
}

/**
 * @param probs float32 `[B, K, ...S]` probabilities (a softmax output).
 * @param labels int64 `[B, ...S]`, values in `[0, K)` (no gradient).
 * @param numClasses K; must equal `probs.shape[1]`.
 * @returns a float32 scalar tensor.
 */
export function diceLoss(probs: Tensor, labels: Tensor, numClasses: number, options: DiceLossOptions = {}): Tensor {
  const fn = 'graphLosses.diceLoss';
  const terms = diceTerms(fn, probs, labels, numClasses);
  const weights = resolveClassWeights(fn, options.classWeights, labels, numClasses);
  return weights === null ? reduceMean(terms) : div(reduceSum(mul(terms, weights)), numClasses);
}

/** The K per-class terms d_c of {@link diceLoss} as a float32 `[K]` tensor, background first. */
export function diceLossPerClass(probs: Tensor, labels: Tensor, numClasses: number): Tensor {
  return diceTerms('graphLosses.diceLossPerClass', probs, labels, numClasses);
}

function diceTerms(fn: string, probs: Tensor, labels: Tensor, numClasses: number): Tensor {
  const k = checkLogits(fn, 'probs', probs, labels);
  checkLabels(fn, labels, numClasses);
  if (k !== numClasses) throw invalidValue(fn, 'probs.shape[1]', `must equal numClasses ${numClasses}`, k);
  const target = oneHotClassAxis(labels, k);
  const axes = probs.shape.map((_, i) => i).filter((i) => i !== 1);
  const intersect = reduceSum(mul(probs, target), axes);
  // Σ g² = Σ g = the class counts, summed from the one-hot before its transpose to the class axis:
  // over leading axes, a product with ones in training graphs (reduceSum), where onnxruntime's transposed
  // ReduceSum of the target was 6 ms of the paper preset's Swin-UNet step.
  const denominator = add(add(reduceSum(mul(probs, probs), axes), classCounts(labels, k)), SMOOTH);
  return sub(1, div(add(mul(intersect, 2), SMOOTH), denominator));
}

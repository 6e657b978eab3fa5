/**
 * Schedules of docs/method/optimisation.md and the consistency weight of docs/method/losses.md, as the reference computes them
 * (SSL4MIS `utils/ramps.py`; MCSC `train_MCSC_2D_256_28.py`). `t` is the iteration counter.
 */
import { z } from 'zod';
import { parseOptions, invalidValue } from './internal/errors.js';

/**
 * Sigmoid-shaped ramp-up of Laine & Aila (ICLR 2017, arXiv 1610.02242), SSL4MIS `sigmoid_rampup`:
 * exp(−5·(1 − clip(current, 0, length)/length)²); 1 when `length` is 0.
 */
export function sigmoidRampup(current: number, length: number): number {
  const fn = 'sigmoidRampup';
  if (!Number.isFinite(current)) throw invalidValue(fn, 'current', 'must be a finite number', current);
  if (!Number.isFinite(length) || length < 0) throw invalidValue(fn, 'length', 'must be a finite number ≥ 0', length);
  if (length === 0) return 1;
  const phase = 1 - Math.min(Math.max(current, 0), length) / length;
  return Math.exp(-5 * phase * phase);
}

export interface ConsistencyWeightOptions {
  /** Final weight. Default 0.1. */
  weight?: number;
  /** Ramp-up length, in units of `divisor` iterations. Default 200. */
  rampupLength?: number;
  /** Iterations per ramp-up step. Default 150. */
  divisor?: number;
}

const consistencySchema = z.strictObject({
  weight: z.number().nonnegative().optional(),
  rampupLength: z.number().nonnegative().optional(),
  divisor: z.number().int().positive().optional(),
});

/**
 * λ(t) = weight · sigmoidRampup(⌊t/divisor⌋, rampupLength) = 0.1 · exp(−5·(1 − min(⌊t/150⌋, 200)/200)²)
 * with the defaults: λ(0) = 0.1·e⁻⁵ ≈ 6.74e-4, λ(t) = 0.1 from t = 30 000.
 */
export function consistencyWeight(iteration: number, options?: ConsistencyWeightOptions): number {
  const fn = 'consistencyWeight';
  const { weight = 0.1, rampupLength = 200, divisor = 150 } = parseOptions(fn, consistencySchema, options);
  if (!Number.isInteger(iteration) || iteration < 0) throw invalidValue(fn, 'iteration', 'must be a non-negative integer', iteration);
  return weight * sigmoidRampup(Math.floor(iteration / divisor), rampupLength);
}

/**
 * Polynomial decay base·(1 − t/T)^power (power 0.9): the UNet, classifier and projector learning rates.
 * The reference updates after incrementing t, so t runs 1 … T and reaches 0 at t = T.
 *
 * @throws RangeError for t outside [0, T] (the base would be raised to a negative number's power).
 */
export function polyLr(base: number, iteration: number, maxIterations: number, power = 0.9): number {
  const fn = 'polyLr';
  if (!Number.isFinite(base)) throw invalidValue(fn, 'base', 'must be a finite number', base);
  if (!Number.isInteger(maxIterations) || maxIterations < 1)
    throw invalidValue(fn, 'maxIterations', 'must be a positive integer', maxIterations);
  if (!Number.isFinite(iteration) || iteration < 0 || iteration > maxIterations) {
    throw invalidValue(fn, 'iteration', `must lie in [0, maxIterations = ${maxIterations}]`, iteration);
  }
  if (!Number.isFinite(power) || power < 0) throw invalidValue(fn, 'power', 'must be a finite number ≥ 0', power);
  return base * (1 - iteration / maxIterations) ** power;
}

export interface SwinScheduleOptions {
  /** E, the epochs of the run (the reference: ⌊T / n⌋ + 1). */
  epochs: number;
  /** n, iterations per epoch (batches of the two-stream sampler). */
  itersPerEpoch: number;
}

const swinSchema = z.strictObject({
  epochs: z.number().int().positive(),
  itersPerEpoch: z.number().int().positive(),
});

/**
 * Warm-up-then-poly factor of the Swin-UNet learning rate (docs/method/optimisation.md#transformer-warm-up; the reference's
 * `create_lr_scheduler`, a `LambdaLR` stepped once per iteration). With E_w = ⌊E/20⌋ and W = E_w·n:
 *   t ≤ W: a = t/W, factor = 1e-3·(1 − a) + a;
 *   t > W: factor = (1 − (t − W)/((E − E_w)·n))^0.9.
 * When W = 0 (fewer than 20 epochs) there is no warm-up: the poly branch applies from t = 0
 * (the reference would divide 0 by 0 at t = 0).
 * Past the last epoch the base of the power turns negative and the factor is NaN.
 */
export function swinWarmupPolyFactor(iteration: number, options: SwinScheduleOptions): number {
  const fn = 'swinWarmupPolyFactor';
  const { epochs, itersPerEpoch } = parseOptions(fn, swinSchema, options);
  if (!Number.isInteger(iteration) || iteration < 0) throw invalidValue(fn, 'iteration', 'must be a non-negative integer', iteration);
  const warmupEpochs = Math.floor(epochs / 20);
  const warmup = warmupEpochs * itersPerEpoch;
  if (warmup > 0 && iteration <= warmup) {
    const a = iteration / warmup;
    return 1e-3 * (1 - a) + a;
  }
  return (1 - (iteration - warmup) / ((epochs - warmupEpochs) * itersPerEpoch)) ** 0.9;
}

export interface ContrastSlicesOptions {
  /** B_l. */
  numLabeled: number;
  /** B. */
  batchSize: number;
  /** First iteration at which unlabeled slices join the contrastive loss. Default 3000. */
  allFrom?: number;
}

const contrastSchema = z.strictObject({
  numLabeled: z.number().int().nonnegative(),
  batchSize: z.number().int().positive(),
  allFrom: z.number().int().nonnegative().optional(),
});

/**
 * How many slices from the head of the batch enter the contrastive loss at iteration t (docs/method/losses.md#cross-labels):
 * B_l before `allFrom` (3000), all B from then on.
 */
export function contrastiveSliceCount(iteration: number, options: ContrastSlicesOptions): number {
  const fn = 'contrastiveSliceCount';
  const { numLabeled, batchSize, allFrom = 3000 } = parseOptions(fn, contrastSchema, options);
  if (numLabeled > batchSize) throw invalidValue(fn, 'options.numLabeled', `must not exceed batchSize ${batchSize}`, numLabeled);
  if (!Number.isInteger(iteration) || iteration < 0) throw invalidValue(fn, 'iteration', 'must be a non-negative integer', iteration);
  return iteration >= allFrom ? batchSize : numLabeled;
}

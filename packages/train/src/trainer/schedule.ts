/**
 * Per-step hyper-parameters (docs/method/optimisation.md, docs/method/losses.md#consistency-weight), computed from the iteration counter t = steps already taken
 * (0 for the first step), as the reference does: its schedules are updated after each step, so step
 * t + 1 runs with the values of t.
 *
 * - lr.cnn  = cnnLr·(1 − t/T)^p;  lr.proj = projectorLr·(1 − t/T)^p;
 * - lr.trans = transformerLr·f(t), f the warm-up-then-poly factor with E = ⌊T/n⌋ + 1 epochs of n batches
 *   (the reference's `max_epoch`), or (1 − t/T)^p without warm-up;
 * - λ(t) = weight·exp(−5(1 − min(⌊t/divisor⌋, length)/length)²);
 * - the contrastive slices: B_l before `allSlicesFrom`, all B from then on.
 */
import { consistencyWeight, contrastiveSliceCount, polyLr, swinWarmupPolyFactor } from '@mcsc/core';
import type { TrainConfig } from './config.js';

export interface StepSchedule {
  readonly lr: { readonly cnn: number; readonly trans: number; readonly proj: number };
  /** λ(t). */
  readonly ctWeight: number;
  /** Weight of L_c (constant). */
  readonly contrastWeight: number;
  /** Slices, from the head of the batch, that enter the contrastive loss. */
  readonly contrastSlices: number;
}

/**
 * @param t steps already taken, 0 … T − 1.
 * @param itersPerEpoch n, batches per epoch of the two-stream sampler.
 * @param graphBatch the batch the graph takes (B, or B_l when no term reads unlabeled slices).
 */
export function stepSchedule(config: TrainConfig, t: number, itersPerEpoch: number, graphBatch: number): StepSchedule {
  const { optim, loss } = config;
  const T = optim.iterations;
  const poly = (base: number) => polyLr(base, t, T, optim.polyPower);
  const epochs = Math.floor(T / itersPerEpoch) + 1;
  const transFactor = optim.transformerWarmup ? swinWarmupPolyFactor(t, { epochs, itersPerEpoch }) : (1 - t / T) ** optim.polyPower;
  const ct = loss.crossTeaching;
  return {
    lr: { cnn: poly(optim.cnnLr), trans: optim.transformerLr * transFactor, proj: poly(optim.projectorLr) },
    ctWeight: consistencyWeight(t, { weight: ct.weight, rampupLength: ct.rampupLength, divisor: ct.rampupDivisor }),
    contrastWeight: loss.contrast.weight,
    contrastSlices: Math.min(
      graphBatch,
      contrastiveSliceCount(t, {
        numLabeled: optim.labeledBatchSize,
        batchSize: optim.batchSize,
        allFrom: loss.contrast.allSlicesFrom,
      }),
    ),
  };
}

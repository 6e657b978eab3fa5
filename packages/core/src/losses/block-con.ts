/**
 * BlockConLoss (docs/method/losses.md#block-sampling): the class-balanced supervised contrastive loss computed per group of
 * randomly matched blocks across all slices and both views, averaged over the groups that contain any
 * foreground. The shuffle makes one group mix distant regions of different slices, so the loss sees
 * intra- and inter-slice relations at a cost of (B·V·b²)² similarities per group instead of (B·V·H·W)².
 *
 *   L_block = (1/|K⁺|) Σ_{k∈K⁺} L_supcon(group k),   K⁺ = {k : Σ labels of group k > 0},   0 if K⁺ = ∅.
 *
 * Reference: Liu et al., "Multi-Scale Cross Contrastive Learning for Semi-Supervised Medical Image
 * Segmentation", BMVC 2023 (arXiv 2306.14293), `utils/supcon_loss_romdom_seleted.py` of the published code,
 * itself after Hu et al., MICCAI 2021.
 */
import { z } from 'zod';
import { parseOptions, invalidValue } from '../internal/errors.js';
import { expectRank, expectSameShape, type NumericNdArray, toLabels } from '../internal/ndarray.js';
import type { Random } from '../random.js';
import { type BlockCoverage, type BlockLabelOrder, blockGroupIndices, blocksPerSide, drawBlockPermutations } from './block-sampling.js';
import { supConLossFlat } from './supcon.js';

export interface BlockConOptions {
  /** τ. Default 0.1. */
  temperature?: number;
  /** b, the block side in pixels (required: 19 at 224×224, 14 at 28×28 in MCSC). */
  blockSize: number;
  /** One permutation of the G_h·G_w blocks per stacked image (B·V of them, view 0's images first). */
  permutations?: ReadonlyArray<ArrayLike<number>>;
  /** Default `'paper'`; `'reference'` reproduces the published label flattening (see block-sampling.ts). */
  labelOrder?: BlockLabelOrder;
  /** Default `'reference'` (G = ⌊H/b⌋ − 1); `'full'` uses every whole block. */
  blockCoverage?: BlockCoverage;
  /** Source of the permutations when `permutations` is not given (one `permutation` call per stacked image). */
  random?: Random;
  /** K; default max(label) + 1. */
  numClasses?: number;
}

const blockConOptionsSchema = z.strictObject({
  temperature: z.number().positive().optional(),
  blockSize: z.number().int().positive(),
  permutations: z
    .array(z.custom<ArrayLike<number>>((v) => Array.isArray(v) || ArrayBuffer.isView(v), 'expected an Int32Array or number[]'))
    .optional(),
  labelOrder: z.enum(['paper', 'reference']).optional(),
  blockCoverage: z.enum(['reference', 'full']).optional(),
  random: z.custom<Random>((v) => typeof (v as Partial<Random> | null)?.permutation === 'function', 'expected a Random').optional(),
  numClasses: z.number().int().positive().optional(),
});

/**
 * @param features `[B, V, C, H, W]` projected features (unit length over C expected), views accepted.
 * @param labels `[B, V, H, W]` class indices per view (see `crossSupervisedLabels`).
 * @returns the mean group loss; 0 when no group has foreground or there are no blocks.
 * @throws TypeError when neither `permutations` nor `random` is given.
 */
export function blockConLoss(features: NumericNdArray, labels: NumericNdArray, options: BlockConOptions): number {
  const fn = 'blockConLoss';
  const opts = parseOptions(fn, blockConOptionsSchema, options);
  const [batch, views, channels, height, width] = expectRank(fn, 'features', features, 5, '[B, V, C, H, W]') as [
    number,
    number,
    number,
    number,
    number,
  ];
  expectSameShape(fn, 'labels', labels.shape, [batch, views, height, width], '[B, V, H, W] of features');
  const y = toLabels(fn, 'labels', labels, opts.numClasses);
  const numClasses = opts.numClasses ?? maxPlusOne(y);
  const images = batch * views;
  const blockSize = opts.blockSize;
  const blockCoverage = opts.blockCoverage ?? 'reference';
  const labelOrder = opts.labelOrder ?? 'paper';
  const temperature = opts.temperature ?? 0.1;

  let permutations = opts.permutations;
  if (permutations === undefined) {
    if (opts.random === undefined) throw invalidValue(fn, 'options.permutations', 'or options.random must be given', undefined);
    const blockCount = blocksPerSide(height, blockSize, blockCoverage) * blocksPerSide(width, blockSize, blockCoverage);
    permutations = drawBlockPermutations(images, blockCount, opts.random);
  }
  const groups = blockGroupIndices({ images, height, width, blockSize, blockCoverage, labelOrder, permutations });

  // Stacked image n = v·B + b reads features[b, v, :, y, x] and labels[b, v, y, x].
  const plane = height * width;
  const data = features.data as ArrayLike<number>; // typed array or number[]: both index by number
  const [s0, s1, s2, s3, s4] = features.stride as [number, number, number, number, number];
  const featureBase = (point: number): number => {
    const n = Math.floor(point / plane);
    const within = point % plane;
    const b = n % batch;
    const v = Math.floor(n / batch);
    return features.offset + b * s0 + v * s1 + Math.floor(within / width) * s3 + (within % width) * s4;
  };
  const labelAt = (point: number): number => {
    const n = Math.floor(point / plane);
    const b = n % batch;
    const v = Math.floor(n / batch);
    return y[(b * views + v) * plane + (point % plane)]!;
  };

  let total = 0;
  let used = 0;
  for (const group of groups) {
    const count = group.points.length;
    const groupLabels = new Int32Array(count);
    let labelSum = 0;
    for (let p = 0; p < count; p++) {
      groupLabels[p] = labelAt(group.labels[p]!);
      labelSum += groupLabels[p]!;
    }
    if (labelSum === 0) continue; // all background: skipped, as the reference does
    const groupFeatures = new Float64Array(count * channels);
    for (let p = 0; p < count; p++) {
      const base = featureBase(group.points[p]!);
      for (let c = 0; c < channels; c++) groupFeatures[p * channels + c] = data[base + c * s2]!;
    }
    total += supConLossFlat(groupFeatures, groupLabels, channels, temperature, numClasses);
    used++;
  }
  return used === 0 ? 0 : total / used;
}

function maxPlusOne(y: Int32Array): number {
  let max = 0;
  for (const v of y) if (v > max) max = v;
  return max + 1;
}

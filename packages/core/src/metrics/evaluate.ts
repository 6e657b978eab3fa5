/**
 * Per-volume segmentation evaluation as the reference reports it (docs/method/evaluation.md; MCSC `test_2D_fully.py`
 * `calculate_metric_percase` on medpy): for every foreground class c = 1 … K−1, binary masks pred == c
 * and gt == c, then Dice, Jaccard, HD95 and ASD (medpy definitions, see overlap.ts and
 * surface-distance.ts), and their mean over the classes.
 *
 * Empty rules, per class:
 * - empty prediction: Dice = medpy's dc (0, also when the ground truth is empty too), Jaccard likewise,
 *   HD95 = ASD = 0 — the reference's convention (`if pred.sum() > 0: … else: return dc, 0, 0`);
 * - non-empty prediction, empty ground truth: Dice = Jaccard = 0, HD95 = ASD = NaN (medpy raises here;
 *   the distance to nothing is undefined). Means skip NaN, as MONAI's metric reductions do.
 *
 * Absent classes (empty ground truth), by `emptyClass` ({@link EmptyClassRule}):
 * - `'published'` (default): the rows above as they stand — the class scores Dice 0 in that volume
 *   whatever the network does (SSL4MIS / the paper's numbers);
 * - `'ignore'`: MONAI's `ignore_empty` — all four metrics of the pair are NaN, so every mean leaves the
 *   pair out (`referenceEmpty` says why).
 *
 * Units: `spacingMode: 'voxel'` measures distances in voxels (the reference passes no spacing);
 * `'mm'` uses the volume's spacing, one value per array axis ([z, y, x] for `[D, H, W]`).
 */
import { z } from 'zod';
import { parseOptions, invalidValue } from '../internal/errors.js';
import { expectRankBetween, expectSameShape, type NumericNdArray, toLabels } from '../internal/ndarray.js';
import { normalizeSpacing } from './edt.js';
import { diceOfMasks, jaccardOfMasks } from './overlap.js';
import { asdOfMasks, hd95OfMasks, type Spacing } from './surface-distance.js';

/** `'mm'`: distances scaled by the voxel spacing; `'voxel'`: spacing 1 on every axis (the reference). */
export type SpacingMode = 'mm' | 'voxel';

/**
 * What a (volume, class) pair whose ground truth has no voxel of the class counts as.
 * `'published'`: the reference's values (Dice 0; HD95 = ASD = 0 when nothing is predicted, else NaN);
 * `'ignore'`: NaN for every metric, i.e. left out of every mean (MONAI `ignore_empty=True`).
 */
export const EMPTY_CLASS_RULES = ['published', 'ignore'] as const;
export type EmptyClassRule = (typeof EMPTY_CLASS_RULES)[number];

export interface MetricValues {
  readonly dice: number;
  readonly jaccard: number;
  readonly hd95: number;
  readonly asd: number;
}

export interface BinaryEvaluation extends MetricValues {
  readonly predictionEmpty: boolean;
  readonly referenceEmpty: boolean;
}

export interface ClassEvaluation extends BinaryEvaluation {
  /** c, in 1 … K−1. */
  readonly classIndex: number;
  /** `classNames[c − 1]`, or `class c`. */
  readonly name: string;
}

export interface SegmentationEvaluation {
  /** Unit of HD95 and ASD. */
  readonly unit: SpacingMode;
  /** The rule applied to classes absent from the ground truth. */
  readonly emptyClass: EmptyClassRule;
  /** One entry per foreground class. */
  readonly perClass: readonly ClassEvaluation[];
  /** Mean over the foreground classes (NaN skipped; NaN when every class is). */
  readonly mean: MetricValues;
}

export interface SegmentationEvaluationOptions {
  /** K, background included. */
  numClasses: number;
  /** Voxel spacing, one value per axis or one for all; required for `'mm'`. */
  spacing?: Spacing;
  /** Default `'mm'` when `spacing` is given, else `'voxel'`. */
  spacingMode?: SpacingMode;
  /** Names of the foreground classes 1 … K−1 (e.g. ['RV', 'Myo', 'LV']). */
  classNames?: readonly string[];
  /** Classes absent from the ground truth: `'published'` (default) or `'ignore'`. */
  emptyClass?: EmptyClassRule;
}

export const spacingSchema = z.union([z.number().positive(), z.array(z.number().positive())]);

const evaluationSchema = z.strictObject({
  numClasses: z.number().int().min(2),
  spacing: spacingSchema.optional(),
  spacingMode: z.enum(['mm', 'voxel']).optional(),
  classNames: z.array(z.string()).optional(),
  emptyClass: z.enum(['published', 'ignore']).optional(),
});

/**
 * Dice, Jaccard, HD95 and ASD of one pair of binary masks (contiguous 0/1, shape `shape`) with the
 * reference's empty-prediction convention.
 */
export function evaluateBinaryMasks(
  pred: Uint8Array,
  gt: Uint8Array,
  shape: readonly number[],
  spacing: readonly number[],
): BinaryEvaluation {
  const predictionEmpty = !pred.some((v) => v !== 0);
  const referenceEmpty = !gt.some((v) => v !== 0);
  const diceValue = diceOfMasks(pred, gt);
  const jaccardValue = jaccardOfMasks(pred, gt);
  if (predictionEmpty) return { dice: diceValue, jaccard: jaccardValue, hd95: 0, asd: 0, predictionEmpty, referenceEmpty };
  return {
    dice: diceValue,
    jaccard: jaccardValue,
    hd95: hd95OfMasks(pred, gt, shape, spacing),
    asd: asdOfMasks(pred, gt, shape, spacing),
    predictionEmpty,
    referenceEmpty,
  };
}

/** `e` under `rule`: with `'ignore'`, a pair whose ground truth is empty gets NaN for every metric. */
export function applyEmptyClassRule<T extends BinaryEvaluation>(e: T, rule: EmptyClassRule): T {
  if (rule === 'published' || !e.referenceEmpty) return e;
  return { ...e, dice: NaN, jaccard: NaN, hd95: NaN, asd: NaN };
}

/**
 * Evaluates a predicted label map against the ground truth.
 *
 * @param pred label map `[H, W]` or `[D, H, W]` (any rank 1…4), integers in [0, K).
 * @param gt same shape.
 */
export function evaluateSegmentation(
  pred: NumericNdArray,
  gt: NumericNdArray,
  options: SegmentationEvaluationOptions,
): SegmentationEvaluation {
  const fn = 'evaluateSegmentation';
  const opts = parseOptions(fn, evaluationSchema, options);
  const shape = expectRankBetween(fn, 'pred', pred, 1, 4);
  expectSameShape(fn, 'gt', gt.shape, shape, 'pred.shape');
  const unit = resolveUnit(fn, opts.spacingMode, opts.spacing);
  const spacing = unit === 'voxel' ? normalizeSpacing(fn, undefined, shape.length) : normalizeSpacing(fn, opts.spacing, shape.length);
  const names = classNamesFor(fn, opts.numClasses, opts.classNames);
  const emptyClass = opts.emptyClass ?? 'published';
  const p = toLabels(fn, 'pred', pred, opts.numClasses);
  const g = toLabels(fn, 'gt', gt, opts.numClasses);
  const perClass: ClassEvaluation[] = [];
  const predMask = new Uint8Array(p.length);
  const gtMask = new Uint8Array(g.length);
  for (let c = 1; c < opts.numClasses; c++) {
    for (let i = 0; i < p.length; i++) {
      predMask[i] = p[i] === c ? 1 : 0;
      gtMask[i] = g[i] === c ? 1 : 0;
    }
    perClass.push({
      classIndex: c,
      name: names[c - 1]!,
      ...applyEmptyClassRule(evaluateBinaryMasks(predMask, gtMask, shape, spacing), emptyClass),
    });
  }
  return { unit, emptyClass, perClass, mean: meanMetrics(perClass) };
}

/** Mean of each metric over a list, NaN entries skipped; NaN when nothing remains. */
export function meanMetrics(items: readonly MetricValues[]): MetricValues {
  return {
    dice: nanMean(items.map((m) => m.dice)),
    jaccard: nanMean(items.map((m) => m.jaccard)),
    hd95: nanMean(items.map((m) => m.hd95)),
    asd: nanMean(items.map((m) => m.asd)),
  };
}

export function nanMean(values: readonly number[]): number {
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (!Number.isNaN(v)) {
      sum += v;
      count++;
    }
  }
  return count === 0 ? NaN : sum / count;
}

export function resolveUnit(fn: string, mode: SpacingMode | undefined, spacing: Spacing | undefined): SpacingMode {
  const unit = mode ?? (spacing === undefined ? 'voxel' : 'mm');
  if (unit === 'mm' && spacing === undefined) throw invalidValue(fn, 'spacing', "is required when spacingMode is 'mm'", spacing);
  return unit;
}

export function classNamesFor(fn: string, numClasses: number, classNames: readonly string[] | undefined): string[] {
  if (classNames === undefined) return Array.from({ length: numClasses - 1 }, (_, i) => `class ${i + 1}`);
  if (classNames.length !== numClasses - 1) {
    throw invalidValue(fn, 'options.classNames', `must name the ${numClasses - 1} foreground classes`, classNames);
  }
  return classNames.slice();
}

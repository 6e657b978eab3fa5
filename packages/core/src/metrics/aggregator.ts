/**
 * Stateful companion of {@link evaluateSegmentation}, in the MONAI style (`CumulativeIterationMetric`):
 * settings in the constructor, one volume per `add`, summaries from `aggregate`.
 *
 * The summary follows the reference's test loop: per class, the mean over volumes of each metric (the
 * reference sums `calculate_metric_percase` over cases and divides by their number, so volumes with an
 * empty prediction enter with HD95 = ASD = 0); the overall mean is the mean of those per-class means.
 * NaN values (prediction without ground truth, see evaluate.ts) are skipped and counted.
 *
 * `emptyClass` decides what a volume whose ground truth lacks a class counts as in that class's means:
 * `'published'` (default, the reference) keeps it (Dice 0); `'ignore'` (MONAI `ignore_empty`) leaves it
 * out of every metric's mean — its values are NaN, counted in `skipped` and in `emptyReference`. A
 * class absent from every volume then has NaN means and drops out of the overall mean.
 */
import { z } from 'zod';
import { parseOptions, invalidValue } from '../internal/errors.js';
import type { NumericNdArray } from '../internal/ndarray.js';
import {
  classNamesFor,
  type EmptyClassRule,
  type ClassEvaluation,
  evaluateSegmentation,
  type MetricValues,
  meanMetrics,
  nanMean,
  type SegmentationEvaluation,
  type SpacingMode,
  spacingSchema,
} from './evaluate.js';
import type { Spacing } from './surface-distance.js';

export interface SegmentationMetricAggregatorOptions {
  /** K, background included. */
  numClasses: number;
  /** Default `'voxel'` (the reference); `'mm'` requires a spacing for every volume. */
  spacingMode?: SpacingMode;
  /** Names of the foreground classes 1 … K−1. */
  classNames?: readonly string[];
  /** Classes absent from a volume's ground truth: `'published'` (default) or `'ignore'` (left out). */
  emptyClass?: EmptyClassRule;
}

export interface VolumeEvaluation extends SegmentationEvaluation {
  /** The `id` given to `add`, or the volume's position. */
  readonly id: string;
}

export interface ClassSummary extends MetricValues {
  readonly classIndex: number;
  readonly name: string;
  /**
   * Volumes whose value was NaN and was left out of the mean, per metric. Under `'published'` only HD95
   * and ASD can be (prediction without ground truth); under `'ignore'` every volume without the class is.
   */
  readonly skipped: { readonly dice: number; readonly jaccard: number; readonly hd95: number; readonly asd: number };
  /** Volumes whose ground truth has no voxel of the class (whatever the rule made of them). */
  readonly emptyReference: number;
}

export interface AggregateSummary {
  readonly unit: SpacingMode;
  /** The rule applied to classes absent from a volume's ground truth. */
  readonly emptyClass: EmptyClassRule;
  readonly volumes: number;
  /** Per foreground class, the mean over volumes. */
  readonly perClass: readonly ClassSummary[];
  /** Each volume's own evaluation, in the order added. */
  readonly perVolume: readonly VolumeEvaluation[];
  /** Mean of the per-class means. */
  readonly mean: MetricValues;
}

const aggregatorSchema = z.strictObject({
  numClasses: z.number().int().min(2),
  spacingMode: z.enum(['mm', 'voxel']).optional(),
  classNames: z.array(z.string()).optional(),
  emptyClass: z.enum(['published', 'ignore']).optional(),
});

const addSchema = z.strictObject({
  spacing: spacingSchema.optional(),
  id: z.string().optional(),
});

export class SegmentationMetricAggregator {
  readonly numClasses: number;
  readonly spacingMode: SpacingMode;
  readonly classNames: readonly string[];
  readonly emptyClass: EmptyClassRule;
  private volumes: VolumeEvaluation[] = [];

  constructor(options: SegmentationMetricAggregatorOptions) {
    const opts = parseOptions('SegmentationMetricAggregator', aggregatorSchema, options);
    this.numClasses = opts.numClasses;
    this.spacingMode = opts.spacingMode ?? 'voxel';
    this.classNames = classNamesFor('SegmentationMetricAggregator', opts.numClasses, opts.classNames);
    this.emptyClass = opts.emptyClass ?? 'published';
  }

  /** Number of volumes added since construction or the last `reset`. */
  get count(): number {
    return this.volumes.length;
  }

  /**
   * Evaluates one volume and keeps the result.
   *
   * @param pred label map `[D, H, W]` (or `[H, W]`), integers in [0, K).
   * @param gt same shape.
   * @param volume `spacing` of this volume (required in `'mm'` mode, ignored in `'voxel'` mode) and an `id`.
   */
  add(pred: NumericNdArray, gt: NumericNdArray, volume?: { spacing?: Spacing; id?: string }): VolumeEvaluation {
    const fn = 'SegmentationMetricAggregator.add';
    const { spacing, id } = parseOptions(fn, addSchema, volume);
    if (this.spacingMode === 'mm' && spacing === undefined) {
      throw invalidValue(fn, 'volume.spacing', "is required when spacingMode is 'mm'", spacing);
    }
    const evaluation = evaluateSegmentation(pred, gt, {
      numClasses: this.numClasses,
      spacingMode: this.spacingMode,
      classNames: this.classNames,
      emptyClass: this.emptyClass,
      ...(this.spacingMode === 'mm' && spacing !== undefined ? { spacing } : {}),
    });
    const result: VolumeEvaluation = { id: id ?? String(this.volumes.length), ...evaluation };
    this.volumes.push(result);
    return result;
  }

  /** Per-class means over the volumes added so far, the per-volume table and the overall mean. */
  aggregate(): AggregateSummary {
    const perClass: ClassSummary[] = this.classNames.map((name, i) => {
      const rows: ClassEvaluation[] = this.volumes.map((v) => v.perClass[i]!);
      return {
        classIndex: i + 1,
        name,
        ...meanMetrics(rows),
        skipped: {
          dice: rows.filter((r) => Number.isNaN(r.dice)).length,
          jaccard: rows.filter((r) => Number.isNaN(r.jaccard)).length,
          hd95: rows.filter((r) => Number.isNaN(r.hd95)).length,
          asd: rows.filter((r) => Number.isNaN(r.asd)).length,
        },
        emptyReference: rows.filter((r) => r.referenceEmpty).length,
      };
    });
    const mean: MetricValues = {
      dice: nanMean(perClass.map((c) => c.dice)),
      jaccard: nanMean(perClass.map((c) => c.jaccard)),
      hd95: nanMean(perClass.map((c) => c.hd95)),
      asd: nanMean(perClass.map((c) => c.asd)),
    };
    return {
      unit: this.spacingMode,
      emptyClass: this.emptyClass,
      volumes: this.volumes.length,
      perClass,
      perVolume: this.volumes.slice(),
      mean,
    };
  }

  /** Forgets every volume. */
  reset(): void {
    this.volumes = [];
  }
}

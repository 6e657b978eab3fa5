/**
 * Volume evaluation as the reference does it (docs/method/evaluation.md): each slice of a volume is zoomed to the patch
 * size (order 0), predicted, and the argmax zoomed back (order 0); Dice, HD95 and ASD per foreground
 * class on the 3-D masks (`SegmentationMetricAggregator` of @mcsc/core), for the CNN, the Transformer
 * and their ensemble (the argmax of the mean of both softmaxes).
 *
 * Predictions come from a {@link Predictor}: the joint training session (validation during training)
 * or two single-network sessions restored from saved weights (the final test, `mcsc evaluate`).
 */
import ndarray from 'ndarray';
import { SegmentationMetricAggregator, zoomNearest2D, type AggregateSummary, type EmptyClassRule, type SpacingMode } from '@mcsc/core';
import { TrainingSession, loadWeights, nodeRuntime, softmax, type NodeRuntimeOptions, McscError } from '@mcsc/graph/node';
import type { ModelConfig } from '../models/model-config.js';
import { segmentationNet } from '../models/segmentation-net.js';
import type { Volume } from '../data/types.js';

export const EVALUATED = ['cnn', 'trans', 'ensemble'] as const;
export type Evaluated = (typeof EVALUATED)[number];

/** Probabilities [N, K, P, P] of both networks for images [N, 1, P, P]. */
export type Predictor = (image: Float32Array, count: number) => Promise<{ cnn: Float32Array; trans: Float32Array }>;

/** A predictor over the joint session's eval graph (outputs `probs_cnn`, `probs_trans`). */
export function jointPredictor(session: TrainingSession): Predictor {
  return async (image) => {
    const out = await session.evaluate({ image });
    return { cnn: out.probs_cnn!.data as Float32Array, trans: out.probs_trans!.data as Float32Array };
  };
}

/** An eval-only session of one network (`probs` output) with the given weights (reference names, head `classifier.*`). */
export async function networkSession(
  config: ModelConfig,
  patchSize: number,
  runtime: NodeRuntimeOptions,
  weights?: string,
): Promise<TrainingSession> {
  const session = await TrainingSession.create({
    build: (g) => ({
      outputs: { probs: softmax(segmentationNet(g, g.input('image', [1, config.inChannels, patchSize, patchSize]), config).logits, 1) },
    }),
    runtime: nodeRuntime(runtime),
  });
  if (weights !== undefined) loadWeights(session, weights, { strict: true });
  return session;
}

/** A predictor over two single-network sessions. */
export function pairPredictor(cnn: TrainingSession, trans: TrainingSession): Predictor {
  const probs = async (s: TrainingSession, image: Float32Array) => (await s.evaluate({ image })).probs!.data as Float32Array;
  return async (image) => ({ cnn: await probs(cnn, image), trans: await probs(trans, image) });
}

export interface EvaluationOptions {
  patchSize: number;
  numClasses: number;
  /** K names, background first. */
  classNames: readonly string[];
  /** Slices per predictor call. */
  batch: number;
  /** `'mm'` uses each volume's spacing when every volume has one; otherwise voxels. */
  spacing: SpacingMode;
  /** Volumes whose ground truth lacks a class: counted ('published', default) or left out ('ignore'). */
  emptyClass?: EmptyClassRule;
}

export interface EvaluationResult {
  readonly unit: SpacingMode;
  readonly summaries: Readonly<Record<Evaluated, AggregateSummary>>;
  /** Predicted label volumes [D, H, W], per volume, per evaluated model. */
  readonly predictions: ReadonlyArray<Readonly<Record<Evaluated, Uint8Array>>>;
}

/** Evaluates `volumes` with `predict`. */
export async function evaluateVolumes(
  volumes: readonly Volume[],
  predict: Predictor,
  options: EvaluationOptions,
): Promise<EvaluationResult> {
  const { patchSize: p, numClasses: k, batch } = options;
  if (volumes.length === 0)
    throw new McscError('evaluateVolumes', 'no volumes to evaluate (the data set has no validation or test volumes)');
  const unit: SpacingMode = options.spacing === 'mm' && volumes.every((v) => v.spacing !== undefined) ? 'mm' : 'voxel';
  const aggregators = Object.fromEntries(
    EVALUATED.map((e) => [
      e,
      new SegmentationMetricAggregator({
        numClasses: k,
        spacingMode: unit,
        classNames: options.classNames.slice(1),
        emptyClass: options.emptyClass ?? 'published',
      }),
    ]),
  ) as Record<Evaluated, SegmentationMetricAggregator>;
  const predictions: Record<Evaluated, Uint8Array>[] = [];
  const plane = p * p;
  for (const volume of volumes) {
    const [d, h, w] = volume.shape;
    const out = Object.fromEntries(EVALUATED.map((e) => [e, new Uint8Array(d * h * w)])) as Record<Evaluated, Uint8Array>;
    for (let z0 = 0; z0 < d; z0 += batch) {
      const n = Math.min(batch, d - z0);
      const image = new Float32Array(n * plane);
      for (let i = 0; i < n; i++) {
        const z = z0 + i;
        image.set(zoomNearest2D(volume.image.subarray(z * h * w, (z + 1) * h * w), h, w, p, p), i * plane);
      }
      const probs = await predict(image, n);
      for (let i = 0; i < n; i++) {
        const z = z0 + i;
        const maps = {
          cnn: argmax(probs.cnn, null, i, k, plane),
          trans: argmax(probs.trans, null, i, k, plane),
          ensemble: argmax(probs.cnn, probs.trans, i, k, plane),
        };
        for (const e of EVALUATED) out[e].set(zoomNearest2D(maps[e], p, p, h, w), z * h * w);
      }
    }
    const gt = ndarray(volume.label, [d, h, w]);
    for (const e of EVALUATED) {
      aggregators[e].add(ndarray(out[e], [d, h, w]), gt, {
        id: volume.caseId,
        ...(unit === 'mm' ? { spacing: [...volume.spacing!] } : {}),
      });
    }
    predictions.push(out);
  }
  const summaries = Object.fromEntries(EVALUATED.map((e) => [e, aggregators[e].aggregate()])) as Record<Evaluated, AggregateSummary>;
  return { unit, summaries, predictions };
}

/** Argmax over K of item i of probs [N, K, P²] (of the mean of two, when `b` is given). First index on ties. */
function argmax(a: Float32Array, b: Float32Array | null, i: number, k: number, plane: number): Uint8Array {
  const out = new Uint8Array(plane);
  const base = i * k * plane;
  for (let j = 0; j < plane; j++) {
    let best = 0;
    let bestValue = b === null ? a[base + j]! : a[base + j]! + b[base + j]!;
    for (let c = 1; c < k; c++) {
      const at = base + c * plane + j;
      const v = b === null ? a[at]! : a[at]! + b[at]!;
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out[j] = best;
  }
  return out;
}

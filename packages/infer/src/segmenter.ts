/**
 * Segmentation with one or more exported models, as the reference evaluates (docs/method/evaluation.md): every slice is
 * resized to the model's input size (order 0), run in batches, and the class probabilities — averaged
 * over the models for an ensemble — are resized back (order 0) and reduced by argmax.
 *
 * Taking the argmax after the order-0 resize back equals the reference's "argmax, then resize the label
 * map back": order 0 only copies values, so each output pixel sees the probabilities of the model
 * pixel the label map would have copied (and all zeros where scipy writes its constant, whose argmax
 * is class 0, the constant). Doing it at full size lets models of different input sizes be ensembled.
 * Sums run in float64, like the trainer's evaluation, so ties and near-ties resolve the same way.
 */
import { normalizeIntensity } from './intensity.js';
import { SegmentationModel, type ModelInfo, type ModelIoOptions } from './model.js';
import { applyGather, planeGather } from './resize.js';
import type { InferenceRuntime, ModelSource } from './runtime.js';
import { checkImage, checkOptions, type CheckedStack, type ImageData, type SegmentOptions } from './validate.js';
import { McscError, messageOf } from '@mcsc/graph';

/** Labels (and probabilities on request) of a slice or a stack of slices. */
export interface Segmentation {
  /** [H, W] for a slice, [N, H, W] for a batch or volume. */
  readonly shape: readonly number[];
  readonly classes: number;
  /** Class index per pixel, row-major in `shape`. */
  readonly labels: Uint8Array;
  /** Mean class probabilities, [K, H, W] per slice ([N, K, H, W] for a stack), when asked for. */
  readonly probabilities?: Float32Array;
}

/** Models that segment together; several are an ensemble (mean of their probabilities). */
export class Segmenter {
  private constructor(private readonly models: readonly SegmentationModel[]) {}

  /** Loads every model (all must agree on channels and classes); on any failure none stay loaded. */
  static async create(
    runtime: InferenceRuntime,
    sources: ModelSource | readonly ModelSource[],
    io: ModelIoOptions = {},
  ): Promise<Segmenter> {
    const list = Array.isArray(sources) ? (sources as readonly ModelSource[]) : [sources as ModelSource];
    if (list.length === 0) throw new McscError('Segmenter.create', 'no models given; expected at least one path, URL or ONNX bytes');
    const models: SegmentationModel[] = [];
    try {
      for (const source of list) models.push(await SegmentationModel.load(runtime, source, io));
      return Segmenter.fromModels(models);
    } catch (e) {
      await Promise.all(models.map((m) => m.release().catch(() => undefined)));
      throw e;
    }
  }

  /**
   * A segmenter over models already loaded (e.g. a page that offers each model alone and both as an
   * ensemble without loading them twice). The models stay shared: `release` releases them.
   */
  static fromModels(models: readonly SegmentationModel[]): Segmenter {
    if (models.length === 0) throw new McscError('Segmenter.fromModels', 'no models given; expected at least one');
    const first = models[0]!.info;
    for (const m of models.slice(1)) {
      if (m.info.channels !== first.channels || m.info.classes !== first.classes) {
        throw new McscError(
          `model ${m.info.source}`,
          `${m.info.channels} channel(s) and ${m.info.classes} classes, but model ${first.source} has ${first.channels} and ${first.classes}; an ensemble needs the same channels and classes`,
        );
      }
    }
    return new Segmenter([...models]);
  }

  /** What each model expects and returns. */
  get modelInfo(): readonly ModelInfo[] {
    return this.models.map((m) => m.info);
  }

  /** C: channels per slice the models expect. */
  get channels(): number {
    return this.models[0]!.info.channels;
  }

  /** K: classes, background first. */
  get classes(): number {
    return this.models[0]!.info.classes;
  }

  /** One slice, shape [H, W] or [C, H, W]. */
  async segmentSlice(image: ImageData, shape: readonly number[], options: SegmentOptions = {}): Promise<Segmentation> {
    const fn = 'segmentSlice';
    const result = await this.run(fn, checkImage(fn, image, shape, false, this.channels), checkOptions(fn, options));
    return { ...result, shape: result.shape.slice(1) };
  }

  /** Independent slices, shape [N, H, W] or [N, C, H, W]. */
  async segmentBatch(images: ImageData, shape: readonly number[], options: SegmentOptions = {}): Promise<Segmentation> {
    const fn = 'segmentBatch';
    return this.run(fn, checkImage(fn, images, shape, true, this.channels), checkOptions(fn, options));
  }

  /**
   * A volume, shape [D, H, W] or [D, C, H, W], slice by slice along D; `intensity: 'minmax'` scales the
   * whole volume at once, as the data sets do.
   */
  async segmentVolume(volume: ImageData, shape: readonly number[], options: SegmentOptions = {}): Promise<Segmentation> {
    const fn = 'segmentVolume';
    return this.run(fn, checkImage(fn, volume, shape, true, this.channels), checkOptions(fn, options));
  }

  async release(): Promise<void> {
    await Promise.all(this.models.map((m) => m.release()));
  }

  private async run(fn: string, stack: CheckedStack, options: ReturnType<typeof checkOptions>): Promise<Segmentation> {
    const { n, channels: c, height: h, width: w } = stack;
    const k = this.classes;
    const plane = h * w;
    const data = normalizeIntensity(stack.data, options.intensity);
    const labels = new Uint8Array(n * plane);
    const probabilities = options.probabilities ? new Float32Array(n * k * plane) : undefined;
    const into = this.models.map((m) => planeGather(h, w, m.info.height, m.info.width, options.edge));
    const back = this.models.map((m) => planeGather(m.info.height, m.info.width, h, w, options.edge));
    const scale = 1 / this.models.length;
    for (let z0 = 0; z0 < n; z0 += options.batchSize) {
      const count = Math.min(options.batchSize, n - z0);
      const probs: Float32Array[] = [];
      for (const [mi, model] of this.models.entries()) {
        const modelPlane = model.info.height * model.info.width;
        const input = new Float32Array(count * c * modelPlane);
        for (let j = 0; j < count * c; j++) applyGather(data, (z0 * c + j) * plane, into[mi]!, input, j * modelPlane);
        probs.push(
          await model.predict(input, count).catch((e: unknown) => {
            throw new McscError(fn, `model ${model.info.source} failed on slices ${z0} … ${z0 + count - 1}: ${messageOf(e)}`, { cause: e });
          }),
        );
      }
      for (let i = 0; i < count; i++) {
        const bases = this.models.map((m) => i * k * m.info.height * m.info.width);
        const modelPlanes = this.models.map((m) => m.info.height * m.info.width);
        const labelBase = (z0 + i) * plane;
        const probBase = (z0 + i) * k * plane;
        for (let j = 0; j < plane; j++) {
          let best = 0;
          let bestValue = -Infinity;
          for (let cls = 0; cls < k; cls++) {
            let v = 0;
            for (let mi = 0; mi < probs.length; mi++) {
              const s = back[mi]![j]!;
              if (s >= 0) v += probs[mi]![bases[mi]! + cls * modelPlanes[mi]! + s]!;
            }
            if (v > bestValue) {
              bestValue = v;
              best = cls;
            }
            if (probabilities) probabilities[probBase + cls * plane + j] = v * scale;
          }
          labels[labelBase + j] = best;
        }
      }
      options.onProgress?.(z0 + count, n);
    }
    return { shape: [n, h, w], classes: k, labels, ...(probabilities ? { probabilities } : {}) };
  }
}

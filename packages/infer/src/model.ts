/**
 * An exported segmentation model (`TrainingSession.exportInference()`, `mcsc export`, the trainer's
 * cnn.onnx / transformer.onnx): input `image` float32 [N, C, H, W] with N dynamic, output `probs`
 * [N, K, H, W] with the softmax already applied. C, H, W and K are read from the model's metadata.
 */
import type { RuntimeSession, ValueInfo } from '@mcsc/graph';
import type { InferenceRuntime, ModelSource } from './runtime.js';
import { McscError, messageOf } from '@mcsc/graph';

/** What a model expects and returns. */
export interface ModelInfo {
  /** The path, URL or `<n bytes>` it was loaded from. */
  readonly source: string;
  readonly input: string;
  readonly output: string;
  /** C: channels per slice. */
  readonly channels: number;
  /** H × W every slice is resized to (P × P for the project's models). */
  readonly height: number;
  readonly width: number;
  /** K: classes, background first. */
  readonly classes: number;
  /** A fixed batch size baked into the model, or null when N is dynamic. */
  readonly fixedBatch: number | null;
}

/** Names of the input and output to use when a model has several. */
export interface ModelIoOptions {
  /** Default: `image`, else the model's only input. */
  readonly input?: string;
  /** Default: `probs`, else the model's first output. */
  readonly output?: string;
}

/** A loaded model and its shapes. */
export class SegmentationModel {
  private constructor(
    readonly info: ModelInfo,
    private readonly loaded: RuntimeSession,
  ) {}

  /** Reads, loads and checks a model; every failure names the source and what was expected. */
  static async load(runtime: InferenceRuntime, source: ModelSource, options: ModelIoOptions = {}): Promise<SegmentationModel> {
    const { bytes, name } = await runtime.read(source);
    let loaded: RuntimeSession;
    try {
      loaded = await runtime.createSession(bytes);
    } catch (e) {
      throw new McscError(
        `model ${name}`,
        `onnxruntime cannot load it (${messageOf(e)}); expected an ONNX model exported by 'mcsc export' or TrainingSession.exportInference()`,
      );
    }
    try {
      return new SegmentationModel(describe(loaded, name, options), loaded);
    } catch (e) {
      await loaded.release().catch(() => undefined);
      throw e;
    }
  }

  /** Probabilities [n, K, H, W] for `images` [n, C, H, W] (already at the model's size). */
  async predict(images: Float32Array, n: number): Promise<Float32Array> {
    const { input, output, channels, height, width, classes, fixedBatch, source } = this.info;
    const per = channels * height * width;
    if (images.length !== n * per)
      throw new McscError(`model ${source}`, `got ${images.length} values for ${n} slices, expected ${n}·${channels}·${height}·${width}`);
    const step = fixedBatch ?? n;
    const out = new Float32Array(n * classes * height * width);
    for (let i = 0; i < n; i += step) {
      // A model with a fixed batch gets zero-padded chunks of exactly that size.
      const chunk = new Float32Array(step * per);
      chunk.set(images.subarray(i * per, Math.min(n, i + step) * per));
      const result = (
        await this.loaded.run({ [input]: { type: 'float32', data: chunk, dims: [step, channels, height, width] } }, [output])
      )[output]!;
      const expected = [step, classes, height, width];
      if (result.dims.join() !== expected.join()) {
        throw new McscError(
          `model ${source}`,
          `output '${output}' has shape [${result.dims.join(', ')}], expected [${expected.join(', ')}]`,
        );
      }
      const keep = Math.min(step, n - i) * classes * height * width;
      out.set((result.data as Float32Array).subarray(0, keep), i * classes * height * width);
    }
    return out;
  }

  release(): Promise<void> {
    return this.loaded.release();
  }
}

/** Checks the model's input and output metadata and reads C, H, W, K from it. */
function describe(loaded: RuntimeSession, source: string, options: ModelIoOptions): ModelInfo {
  const input = pick(loaded.inputs, options.input, 'image', 'input', source, true);
  const output = pick(loaded.outputs, options.output, 'probs', 'output', source, false);
  const dims = (v: ValueInfo, kind: string, what: string): [number | null, number | null, number | null, number | null] => {
    if (v.type !== 'float32') throw new McscError(`model ${source}`, `${kind} '${v.name}' is ${v.type}, expected float32`);
    if (v.shape.length !== 4) {
      throw new McscError(`model ${source}`, `${kind} '${v.name}' has shape [${v.shape.join(', ')}], expected rank 4 ${what}`);
    }
    const [a, b, c, d] = v.shape.map((x) => (typeof x === 'number' && x > 0 ? x : null));
    return [a ?? null, b ?? null, c ?? null, d ?? null];
  };
  const [n, c, h, w] = dims(input, 'input', '[N, C, H, W]');
  const [n2, k, h2, w2] = dims(output, 'output', '[N, K, H, W]');
  if (c === null || h === null || w === null) {
    throw new McscError(`model ${source}`, `input '${input.name}' has shape [${input.shape.join(', ')}], expected fixed C, H and W`);
  }
  if (k === null || k < 2 || k > 255) {
    throw new McscError(
      `model ${source}`,
      `output '${output.name}' has shape [${output.shape.join(', ')}], expected a fixed class count K in 2 … 255`,
    );
  }
  if ((h2 !== null && h2 !== h) || (w2 !== null && w2 !== w) || (n !== null && n2 !== null && n !== n2)) {
    throw new McscError(
      `model ${source}`,
      `output '${output.name}' [${output.shape.join(', ')}] does not match input '${input.name}' [${input.shape.join(', ')}], expected [N, K, ${h}, ${w}]`,
    );
  }
  return { source, input: input.name, output: output.name, channels: c, height: h, width: w, classes: k, fixedBatch: n };
}

function pick(
  values: readonly ValueInfo[],
  wanted: string | undefined,
  preferred: string,
  kind: string,
  source: string,
  single: boolean,
): ValueInfo {
  const names = values.map((v) => `'${v.name}'`).join(', ') || 'none';
  if (wanted !== undefined) {
    const found = values.find((v) => v.name === wanted);
    if (!found) throw new McscError(`model ${source}`, `no ${kind} '${wanted}'; it has ${names}`);
    return found;
  }
  const found = values.find((v) => v.name === preferred) ?? (single && values.length !== 1 ? undefined : values[0]);
  if (!found) throw new McscError(`model ${source}`, `cannot tell which ${kind} to use among ${names}; expected one named '${preferred}'`);
  return found;
}

/**
 * The small interface between the segmentation logic and an ONNX Runtime build. Node implements it
 * over onnxruntime-node (`node/runtime.ts`), browsers over onnxruntime-web (`web/runtime.ts`); the rest
 * of the package (validation, resizing, batching, ensembling) is shared and never imports either.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';

/** Where a model comes from: a file path (Node), a URL (http(s), or file: in Node), or the ONNX bytes. */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer;

/** One input or output of a loaded model: element type and shape (a string for a symbolic dimension). */
export interface ValueInfo {
  readonly name: string;
  readonly type: string;
  readonly shape: readonly (number | string)[];
}

/** A float32 tensor as it crosses the runtime boundary. */
export interface FloatTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** One loaded model. */
export interface LoadedModel {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** Runs the model on one float32 input and returns one float32 output. */
  run(input: string, tensor: FloatTensor, output: string): Promise<FloatTensor>;
  release(): Promise<void>;
}

/** An ONNX Runtime build able to read and load models. */
export interface InferenceRuntime {
  /** E.g. `onnxruntime-node 1.30.0 (cpu, 2 threads)`, for logs and benchmarks. */
  readonly description: string;
  /** The model's bytes and a name for errors (its path or URL). */
  read(source: ModelSource): Promise<{ bytes: Uint8Array; name: string }>;
  /** Creates a session; rejects with onnxruntime's own message for a model it cannot load. */
  load(bytes: Uint8Array, name: string): Promise<LoadedModel>;
}

/** A name for a source in error messages. */
export function sourceName(source: ModelSource): string {
  if (typeof source === 'string') return source;
  if (source instanceof URL) return source.href;
  return `<${source.byteLength} bytes>`;
}

/**
 * A {@link LoadedModel} over an onnxruntime session — the same for both builds, which share
 * onnxruntime-common's types; `TensorClass` is the build's own `ort.Tensor`.
 */
export function wrapSession(session: InferenceSession, TensorClass: typeof Tensor): LoadedModel {
  const info = (m: InferenceSession.ValueMetadata): ValueInfo =>
    m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, type: 'non-tensor', shape: [] };
  return {
    inputs: session.inputMetadata.map(info),
    outputs: session.outputMetadata.map(info),
    async run(input: string, tensor: FloatTensor, output: string): Promise<FloatTensor> {
      const result = await session.run({ [input]: new TensorClass('float32', tensor.data, [...tensor.dims]) }, [output]);
      const out = result[output]!;
      // WebGPU may leave outputs on the GPU; getData() downloads them (a plain view for CPU and wasm).
      return { data: (await out.getData()) as Float32Array, dims: out.dims };
    },
    release: () => session.release(),
  };
}

/**
 * The small interface between the segmentation logic and an ONNX Runtime build. Node implements it
 * over onnxruntime-node (`node/runtime.ts`), browsers over onnxruntime-web (`web/runtime.ts`); the rest
 * of the package (validation, resizing, batching, ensembling) is shared and never imports either.
 */

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

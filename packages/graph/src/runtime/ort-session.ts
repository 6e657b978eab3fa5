/**
 * A {@link RuntimeSession} over an onnxruntime `InferenceSession` — the same code for onnxruntime-node
 * and onnxruntime-web, which share onnxruntime-common's types; `TensorClass` is the build's own Tensor
 * constructor (each build checks that its feeds were made by it).
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { McscError } from '../errors.js';
import type { TensorData } from '../tensor.js';
import type { RuntimeSession, RuntimeTensor, ValueInfo } from './runtime.js';

/**
 * onnxruntime's two memory settings, by their `InferenceSession.SessionOptions` names (onnxruntime-common;
 * onnxruntime-node and the wasm backend honour them). Both default on; an absent one is left to onnxruntime.
 */
export interface OrtMemoryOptions {
  /**
   * The memory pattern: from a session's second run on, onnxruntime allocates the run's whole planned
   * block of intermediates at once (one allocation the size of the run's peak live set) instead of tensor
   * by tensor. Off: each tensor is allocated when it is made.
   */
  readonly enableMemPattern?: boolean;
  /**
   * The CPU arena: onnxruntime keeps the memory it allocated in chunks it reuses across runs instead of
   * returning it to the system allocator. Off: every allocation goes to malloc and back.
   */
  readonly enableCpuMemArena?: boolean;
}

/** The memory settings that were given, as session options; throws a McscError for one that is not a boolean. */
export function ortMemoryOptions(options: OrtMemoryOptions, where: string): OrtMemoryOptions {
  const out: { enableMemPattern?: boolean; enableCpuMemArena?: boolean } = {};
  for (const key of ['enableMemPattern', 'enableCpuMemArena'] as const) {
    const value: unknown = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw new McscError(where, `${key} must be true or false, got ${String(value)}`);
    out[key] = value;
  }
  return out;
}

export function wrapOrtSession(session: InferenceSession, TensorClass: typeof Tensor): RuntimeSession {
  const info = (m: InferenceSession.ValueMetadata): ValueInfo =>
    m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, type: 'non-tensor', shape: [] };
  return {
    inputs: session.inputMetadata.map(info),
    outputs: session.outputMetadata.map(info),
    async run(feeds, fetch) {
      const ortFeeds: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) {
        // The casts only name which of ort's overloads applies; type and data were checked by the caller.
        ortFeeds[name] = t instanceof TensorClass ? t : new TensorClass(t.type as 'float32', t.data as Float32Array, [...t.dims]);
      }
      const result = fetch ? await session.run(ortFeeds, [...fetch]) : await session.run(ortFeeds);
      const out: Record<string, RuntimeTensor> = {};
      for (const [name, t] of Object.entries(result)) {
        // WebGPU may leave outputs on the GPU; getData() downloads them (a plain view for CPU and wasm).
        const data = (t.location === 'cpu' ? t.data : await t.getData()) as TensorData;
        out[name] = { type: t.type, data, dims: t.dims };
      }
      return out;
    },
    release: () => session.release(),
  };
}

/** The first line of an error's message (onnxruntime's are long). */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
}

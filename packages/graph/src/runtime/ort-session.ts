/**
 * A {@link RuntimeSession} over an onnxruntime `InferenceSession` — the same code for onnxruntime-node
 * and onnxruntime-web, which share onnxruntime-common's types; `TensorClass` is the build's own Tensor
 * constructor (each build checks that its feeds were made by it).
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { TensorData } from '../tensor.js';
import type { RuntimeSession, RuntimeTensor, ValueInfo } from './runtime.js';

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

/** The {@link InferenceRuntime} of Node: onnxruntime-node's CPU provider (or another it was built with). */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { FloatTensor, InferenceRuntime, LoadedModel, ModelSource, ValueInfo } from '../runtime.js';
import { sourceName } from '../runtime.js';

export interface NodeRuntimeOptions {
  /** Intra-op threads; default: onnxruntime's choice (one per core). */
  readonly threads?: number;
  /** Execution provider by onnxruntime name (default `'cpu'`). */
  readonly executionProvider?: string;
}

/** A runtime over onnxruntime-node. */
export function nodeRuntime(options: NodeRuntimeOptions = {}): InferenceRuntime {
  const { threads, executionProvider = 'cpu' } = options;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new RangeError(`nodeRuntime: threads must be a positive integer, got ${threads}`);
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [executionProvider],
    graphOptimizationLevel: 'all',
    ...(threads !== undefined ? { intraOpNumThreads: threads } : {}),
  };
  return {
    description: `onnxruntime-node ${ort.env.versions.node ?? ''} (${executionProvider}, ${threads ?? 'default'} threads)`,
    read: readSource,
    async load(bytes, name) {
      void name;
      return wrap(await ort.InferenceSession.create(bytes, sessionOptions));
    },
  };
}

async function readSource(source: ModelSource): Promise<{ bytes: Uint8Array; name: string }> {
  const name = sourceName(source);
  if (source instanceof Uint8Array) return { bytes: source, name };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), name };
  const url = source instanceof URL ? source : /^https?:\/\//.test(source) ? new URL(source) : null;
  try {
    if (url && url.protocol !== 'file:') {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
      return { bytes: new Uint8Array(await response.arrayBuffer()), name };
    }
    const bytes = await readFile(url ? fileURLToPath(url) : (source as string));
    return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), name };
  } catch (e) {
    throw new Error(`model ${name}: cannot read: ${(e as Error).message}`);
  }
}

function wrap(session: ort.InferenceSession): LoadedModel {
  const info = (m: ort.InferenceSession.ValueMetadata): ValueInfo =>
    m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, type: 'non-tensor', shape: [] };
  return {
    inputs: session.inputMetadata.map(info),
    outputs: session.outputMetadata.map(info),
    async run(input: string, tensor: FloatTensor, output: string): Promise<FloatTensor> {
      const result = await session.run({ [input]: new ort.Tensor('float32', tensor.data, [...tensor.dims]) }, [output]);
      const out = result[output]!;
      return { data: out.data as Float32Array, dims: out.dims };
    },
    release: () => session.release(),
  };
}

/** The {@link InferenceRuntime} of Node: onnxruntime-node's CPU provider (or another it was built with). */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { InferenceRuntime, ModelSource } from '../runtime.js';
import { sourceName, wrapSession } from '../runtime.js';

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
      return wrapSession(await ort.InferenceSession.create(bytes, sessionOptions), ort.Tensor);
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

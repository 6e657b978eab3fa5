/** The {@link InferenceRuntime} of Node: @mcsc/graph's onnxruntime-node runtime plus model files and URLs. */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { nodeRuntime as graphNodeRuntime, type NodeRuntimeOptions, McscError, failedTo } from '@mcsc/graph/node';
import { bytesOf, sourceName, type InferenceRuntime, type ModelSource } from '../runtime.js';

export type { NodeRuntimeOptions };

/** A runtime over onnxruntime-node (device 'cpu' by default, or 'cuda'). */
export function nodeRuntime(options: NodeRuntimeOptions = {}): InferenceRuntime {
  return { ...graphNodeRuntime(options), read: readSource };
}

async function readSource(source: ModelSource): Promise<{ bytes: Uint8Array; name: string }> {
  const name = sourceName(source);
  const given = bytesOf(source);
  if (given) return { bytes: given, name };
  const url = source instanceof URL ? source : /^https?:\/\//.test(source as string) ? new URL(source as string) : null;
  try {
    if (url && url.protocol !== 'file:') {
      const response = await fetch(url);
      if (!response.ok) throw new McscError(`model ${name}`, `cannot read: HTTP ${response.status} ${response.statusText}`);
      return { bytes: new Uint8Array(await response.arrayBuffer()), name };
    }
    const bytes = await readFile(url ? fileURLToPath(url) : (source as string));
    return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), name };
  } catch (e) {
    if (e instanceof McscError) throw e;
    throw failedTo(`model ${name}`, 'cannot read', e);
  }
}

/** The {@link InferenceRuntime} of browsers: @mcsc/graph's onnxruntime-web runtime plus model URLs. */
import {
  failedTo,
  webRuntime as graphWebRuntime,
  type WebRuntime as GraphWebRuntime,
  type WebRuntimeOptions,
  McscError,
} from '@mcsc/graph/web';
import { bytesOf, sourceName, type InferenceRuntime, type ModelSource } from '../runtime.js';

export type { WebDevice, WebRuntimeOptions } from '@mcsc/graph/web';

/** The runtime plus what it chose (device, threads), for the page and the benchmark. */
export type WebRuntime = GraphWebRuntime & InferenceRuntime;

/** Configures onnxruntime-web (a page-wide setting) and returns a runtime over it. */
export async function webRuntime(options: WebRuntimeOptions = {}): Promise<WebRuntime> {
  return { ...(await graphWebRuntime(options)), read: readSource };
}

async function readSource(source: ModelSource): Promise<{ bytes: Uint8Array; name: string }> {
  const name = sourceName(source);
  const given = bytesOf(source);
  if (given) return { bytes: given, name };
  const response = await fetch(source as string | URL).catch((e: unknown) => {
    throw failedTo(`model ${name}`, 'cannot fetch', e);
  });
  if (!response.ok) throw new McscError(`model ${name}`, `cannot fetch: HTTP ${response.status} ${response.statusText}`);
  return { bytes: new Uint8Array(await response.arrayBuffer()), name };
}

/** Execution providers by name: the one module that maps a device name to onnxruntime-node's providers. */
import * as ort from 'onnxruntime-node';

export type ExecutionProviderName = 'cpu' | 'cuda' | 'webgpu';

export const EXECUTION_PROVIDERS: readonly ExecutionProviderName[] = Object.freeze(['cpu', 'cuda', 'webgpu']);

/** Providers the installed onnxruntime-node reports (CUDA appears only once its libraries are installed). */
export function availableProviders(): ExecutionProviderName[] {
  return ort
    .listSupportedBackends()
    .filter((b) => b.bundled || b.name === 'cuda')
    .map((b) => b.name)
    .filter((n): n is ExecutionProviderName => (EXECUTION_PROVIDERS as readonly string[]).includes(n));
}

export function sessionOptions(provider: ExecutionProviderName = 'cpu', threads?: number): ort.InferenceSession.SessionOptions {
  const available = availableProviders();
  if (!EXECUTION_PROVIDERS.includes(provider) || !available.includes(provider)) {
    throw new RangeError(`execution provider '${provider}' is not available here; available: ${available.join(', ')}`);
  }
  return {
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    graphOptimizationLevel: 'all',
    ...(threads ? { intraOpNumThreads: threads } : {}),
  };
}

/** Create an inference session, turning a provider's load failure into a message that says what to do. */
export async function createSession(model: Uint8Array, provider: ExecutionProviderName = 'cpu', threads?: number): Promise<ort.InferenceSession> {
  const options = sessionOptions(provider, threads);
  try {
    return await ort.InferenceSession.create(model, options);
  } catch (e) {
    if (provider === 'cuda') {
      throw new Error(`execution provider 'cuda' failed to start (${(e as Error).message}). Install onnxruntime-node's CUDA libraries: see the README section "CUDA".`);
    }
    throw e;
  }
}

/**
 * The {@link GraphRuntime} of browsers: onnxruntime-web with WebGPU where the browser has an adapter and
 * WebAssembly otherwise. The .wasm (and its .mjs loader) must be served next to the page or at
 * `wasmPaths`; nothing is fetched from a CDN.
 */
import * as ort from 'onnxruntime-web';
import { wrapOrtSession } from './ort-session.js';
import { checkDevice, DEVICES, type GraphRuntime } from './runtime.js';
import { McscError } from '../errors.js';

/** `'auto'`: WebGPU when `navigator.gpu` gives an adapter, else wasm. */
export type WebDevice = 'auto' | 'wasm' | 'webgpu';

export interface WebRuntimeOptions {
  readonly device?: WebDevice;
  /** Folder URL (ending in '/') holding ort-wasm-simd-threaded.jsep.{wasm,mjs}; default: next to the page. */
  readonly wasmPaths?: string;
  /** wasm threads; default: all cores when the page is cross-origin isolated (needed for threads), else 1. */
  readonly threads?: number;
}

/** The runtime plus what it chose. */
export interface WebRuntime extends GraphRuntime {
  readonly device: 'wasm' | 'webgpu';
  readonly threads: number;
}

/** Configures onnxruntime-web (a page-wide setting) and returns a runtime over it. */
export async function webRuntime(options: WebRuntimeOptions = {}): Promise<WebRuntime> {
  const wanted = options.device ?? 'auto';
  if (wanted !== 'auto') checkDevice(wanted, 'web', 'webRuntime');
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } } | undefined)?.gpu;
  const hasGpu = gpu ? (await gpu.requestAdapter().catch(() => null)) !== null : false;
  if (wanted === 'webgpu' && !hasGpu)
    throw new McscError(
      'webRuntime',
      "device 'webgpu' was asked for, but this browser has no WebGPU adapter; expected device 'wasm' or 'auto'",
    );
  const device = wanted === 'wasm' || !hasGpu ? 'wasm' : 'webgpu';
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const threads = options.threads ?? (isolated ? (globalThis.navigator?.hardwareConcurrency ?? 1) : 1);
  const base = options.wasmPaths ?? new URL('./', globalThis.location?.href).href;
  // The default bundle's WebGPU-capable build; giving both files keeps workers on the same loader.
  ort.env.wasm.wasmPaths = { wasm: `${base}ort-wasm-simd-threaded.jsep.wasm`, mjs: `${base}ort-wasm-simd-threaded.jsep.mjs` };
  ort.env.wasm.numThreads = threads;
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [...DEVICES[device].providers],
    graphOptimizationLevel: 'all',
  };
  return {
    description: `onnxruntime-web ${ort.env.versions.web ?? ''} (${device}, ${threads} thread${threads === 1 ? '' : 's'})`,
    device,
    threads,
    async createSession(model) {
      return wrapOrtSession(await ort.InferenceSession.create(model, sessionOptions), ort.Tensor);
    },
  };
}

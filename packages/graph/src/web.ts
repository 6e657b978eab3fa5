/** @mcsc/graph/web: runs graphs on onnxruntime-web (wasm, or WebGPU where the browser has it). Re-exports the main entry. */
export * from './index.js';
export { webRuntime, type WebDevice, type WebRuntime, type WebRuntimeOptions } from './runtime/web.js';

/**
 * @mcsc/infer for browsers: segmentation on onnxruntime-web (WebGPU where present, else wasm), the
 * same API as the Node entry minus file I/O. Imports no Node module.
 */
import type { ModelIoOptions } from './model.js';
import type { ModelSource } from './runtime.js';
import { Segmenter } from './segmenter.js';
import { webRuntime, type WebRuntimeOptions } from './web/runtime.js';

export * from './common.js';
export { webRuntime, type WebDevice, type WebRuntime, type WebRuntimeOptions } from './web/runtime.js';
export { decodeImageFile } from './web/image.js';

/** Loads one model or an ensemble on onnxruntime-web. */
export async function createSegmenter(
  models: ModelSource | readonly ModelSource[],
  options: WebRuntimeOptions & ModelIoOptions = {},
): Promise<Segmenter> {
  const { input, output, ...runtime } = options;
  return Segmenter.create(await webRuntime(runtime), models, {
    ...(input !== undefined ? { input } : {}),
    ...(output !== undefined ? { output } : {}),
  });
}

/** @mcsc/infer for Node: segmentation on onnxruntime-node, NIfTI and PNG files. Browsers: `./browser.ts`. */
import type { ModelIoOptions } from './model.js';
import type { ModelSource } from './runtime.js';
import { Segmenter } from './segmenter.js';
import { nodeRuntime, type NodeRuntimeOptions } from './node/runtime.js';

export * from './common.js';
export { nodeRuntime, type NodeRuntimeOptions } from './node/runtime.js';
export { readNifti, writeNifti, NIFTI_MAX_GZIP_FILE_BYTES } from './node/nifti.js';
export { decodePng, encodePng, writeOverlayPngs } from './node/png.js';
export { writeFileAtomic } from '@mcsc/graph/node';
export { predictFile, type PredictFileOptions, type PredictFileResult } from './node/predict-file.js';

/** Loads one model or an ensemble on onnxruntime-node. */
export function createSegmenter(
  models: ModelSource | readonly ModelSource[],
  options: NodeRuntimeOptions & ModelIoOptions = {},
): Promise<Segmenter> {
  const { input, output, ...runtime } = options;
  return Segmenter.create(nodeRuntime(runtime), models, {
    ...(input !== undefined ? { input } : {}),
    ...(output !== undefined ? { output } : {}),
  });
}

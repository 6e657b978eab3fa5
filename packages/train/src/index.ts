export * from './models/index.js';
export { parseModelConfig, readModelConfig, unetModelConfigSchema, swinUnetModelConfigSchema, type ModelConfig, type UNetModelConfig, type SwinUNetModelConfig } from './models/model-config.js';
export { segmentationNet, IGNORED_REFERENCE_KEYS, type SegmentationNet } from './models/segmentation-net.js';
export { exportModel, type ExportOptions } from './cli/export.js';
export * from './data/index.js';
export { supervisedLoss, crossEntropyLoss, diceLoss, oneHotNCHW } from './losses/supervised-loss.js';
export { computeGrad, readBatch, type GradOptions } from './cli/grad.js';

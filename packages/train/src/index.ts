export * from './models/index.js';
export { McscError } from '@mcsc/graph';
export {
  parseModelConfig,
  readModelConfig,
  unetModelConfigSchema,
  swinUnetModelConfigSchema,
  type ModelConfig,
  type UNetModelConfig,
  type SwinUNetModelConfig,
} from './models/model-config.js';
export { segmentationNet, IGNORED_REFERENCE_KEYS, type SegmentationNet } from './models/segmentation-net.js';
export { exportModel, type ExportOptions } from './cli/export.js';
export * from './data/index.js';
export { computeGrad, readBatch, type GradOptions } from './cli/grad.js';
export { train, evaluateRun, finishRun, type TrainOptions, type TrainResult } from './trainer/trainer.js';
export {
  evaluateVolumes,
  jointPredictor,
  pairPredictor,
  type EvaluationOptions,
  type EvaluationResult,
  type Predictor,
} from './trainer/evaluate.js';
export {
  trainConfigSchema,
  resolveConfig,
  parseConfig,
  readConfigFile,
  PRESETS,
  ConfigError,
  type TrainConfig,
  type TrainConfigInput,
  type PresetName,
} from './trainer/config.js';
export { configReference } from './trainer/config-reference.js';
export { compareMethods, methodConfig, METHODS, type Method, type CompareOptions, type CompareResult } from './trainer/compare.js';
export { RunDir } from './trainer/run-dir.js';
export type { Report } from './trainer/report.js';

/**
 * The MCSC losses as `@mcsc/graph` ops (differentiable, float32, run by onnxruntime), each the graph
 * form of a float64 reference in `../losses`, exported from `@mcsc/core` as the `graphLosses` namespace.
 */
export { crossEntropy, type CrossEntropyOptions } from './cross-entropy.js';
export { diceLoss, diceLossPerClass, type DiceLossOptions } from './dice-loss.js';
export { supervisedLoss, type SupervisedLossOptions } from './supervised.js';
export { classCounts, prevalenceWeights, type ClassWeighting } from './class-prevalence.js';
export { supConLoss, type GraphSupConOptions } from './supcon.js';
export {
  blockConLoss,
  projectedBlockConLoss,
  DEFAULT_CHUNK_ELEMENTS,
  type BlockConBackwardPass,
  type BlockConGraph,
  type BlockConGraphOptions,
  type BlockConInputs,
  type BlockConSpec,
  type PointwiseProjection,
} from './block-con.js';
export { blockConFeeds, type BlockConStep } from './block-con-feeds.js';
export { zoomLabels } from './zoom-labels.js';

export { Random } from './random.js';
/** The error every @mcsc package throws (`<where>: <problem>`), from @mcsc/graph. */
export { McscError } from '@mcsc/graph';
export {
  zoomNearest,
  zoomNearest2D,
  zoomOutputShape,
  zoomSourceIndices,
  type NumericTypedArray,
  type ZoomEdge,
  type ZoomOptions,
} from './zoom.js';
export type { NumericData, NumericNdArray } from './internal/ndarray.js';

export { softmax } from './losses/softmax.js';
export { crossEntropy } from './losses/cross-entropy.js';
export { diceLoss, diceLossPerClass } from './losses/dice-loss.js';
export { classPrevalence, type ClassPrevalence } from './losses/class-prevalence.js';
export { supConLoss, type SupConOptions } from './losses/supcon.js';
export {
  blockGroupIndices,
  blocksPerSide,
  drawBlockPermutations,
  type BlockCoverage,
  type BlockGroup,
  type BlockLabelOrder,
  type BlockLayout,
} from './losses/block-sampling.js';
export { blockConLoss, type BlockConOptions } from './losses/block-con.js';

export { crossSupervisedLabels, downsampleLabels, type DownsampleLabelsOptions } from './cross-labels.js';

export { dice, jaccard } from './metrics/overlap.js';
export { distanceTransformEdt } from './metrics/edt.js';
export { percentile } from './metrics/percentile.js';
export { asd, hd95, surfaceDistances, type Spacing } from './metrics/surface-distance.js';
export {
  evaluateSegmentation,
  EMPTY_CLASS_RULES,
  type EmptyClassRule,
  type BinaryEvaluation,
  type ClassEvaluation,
  type MetricValues,
  type SegmentationEvaluation,
  type SegmentationEvaluationOptions,
  type SpacingMode,
} from './metrics/evaluate.js';
export {
  SegmentationMetricAggregator,
  type AggregateSummary,
  type ClassSummary,
  type SegmentationMetricAggregatorOptions,
  type VolumeEvaluation,
} from './metrics/aggregator.js';
export {
  bootstrapMeanCi,
  meanSd,
  normalCdf,
  wilcoxonSignedRank,
  type BootstrapInterval,
  type BootstrapOptions,
  type SampleSummary,
  type WilcoxonMethod,
  type WilcoxonOptions,
  type WilcoxonResult,
} from './stats/index.js';

export {
  consistencyWeight,
  contrastiveSliceCount,
  polyLr,
  sigmoidRampup,
  swinWarmupPolyFactor,
  type ConsistencyWeightOptions,
  type ContrastSlicesOptions,
  type SwinScheduleOptions,
} from './schedules.js';
export { TwoStreamBatchSampler, type TwoStreamBatchSamplerOptions } from './sampler.js';
export * as graphLosses from './graph/index.js';

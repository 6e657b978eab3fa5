/**
 * @mcsc/graph: a tensor-graph builder with reverse-mode autodiff that emits ONNX, optimizers inside the
 * graph, and `TrainingSession`. Pure: imports no Node module and no onnxruntime build; runtimes come
 * from '@mcsc/graph/node' (onnxruntime-node) and '@mcsc/graph/web' (onnxruntime-web).
 */
export { McscError, invalidValue, failedTo, messageOf, formatValue, valueAt } from './errors.js';
export { Tensor, shapeSize, formatShape, type DType, type Shape, type TensorData } from './tensor.js';
export { Graph, type Node, type OpSpec, type Attrs, type GradientRule, type Initializer, type InitContext } from './graph.js';
export { defineGradient, type BoundGradient, type CustomGradient, type InputGradients } from './graph.js';
export { Random } from './random.js';
export { gradients } from './autodiff.js';
export { checkpoint } from './checkpoint.js';
export { emitModel, liveNodes, OPSET, type EmitOptions, type EmittedModel } from './onnx/emit.js';
export * from './ops/index.js';
export { nearestIndices, type NearestEdge, type NearestRule } from './nearest-indices.js';
export {
  addOptimizerUpdate,
  groupOf,
  lrInput,
  weightDecayInput,
  stepScalars,
  STEP_INPUT,
  type OptimizerConfig,
  type ParamGroup,
} from './optim.js';
export {
  TrainingSession,
  type TrainingSessionFactory,
  type TrainingSessionOptions,
  type ModelGraph,
  type BuildFn,
  type StepHyperParameters,
} from './training-session.js';
export type { Feeds, FeedValue } from './session-feeds.js';
export type { LoadWeightsOptions, LoadWeightsReport } from './session-weights.js';
export {
  encodeSafetensors,
  decodeSafetensors,
  decodeSafetensorsHeader,
  type NamedTensor,
  type DecodedSafetensors,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from './safetensors.js';
export {
  DEVICES,
  checkDevice,
  devicesOf,
  type Device,
  type GraphRuntime,
  type RuntimeSession,
  type RuntimeTensor,
  type ValueInfo,
} from './runtime/runtime.js';

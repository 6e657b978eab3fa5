export { Tensor, shapeSize, formatShape, type DType, type Shape, type TensorData } from './tensor.js';
export { Graph, type Node, type OpSpec, type Attrs, type GradientRule, type Initializer, type InitContext } from './graph.js';
export { gradients } from './autodiff.js';
export { emitModel, liveNodes, OPSET, type EmitOptions, type EmittedModel } from './onnx/emit.js';
export * from './ops/index.js';

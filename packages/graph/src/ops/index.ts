export { broadcastShapes, unbroadcast } from './broadcast.js';
export {
  add,
  sub,
  mul,
  div,
  pow,
  neg,
  sqrt,
  exp,
  log,
  abs,
  tanh,
  sigmoid,
  erf,
  relu,
  leakyRelu,
  gelu,
  sign,
  type Operand,
} from './elementwise.js';
export { equal, less, greater, where, cast, identity, stopGradient } from './logic.js';
export { reduceSum, reduceMean, reduceMax, reduceSumSquare, sumAll } from './reduce.js';
export { reshape, transpose, expand, zeros, slice, pad, concat, split, unsqueeze, type SliceSpec } from './shape.js';
export { gather, scatterNDAdd, oneHot, argMax } from './indexing.js';
export { matmul, gemm, linear, transposeLast, type GemmOptions } from './matmul.js';
export { softmax, logSoftmax } from './softmax.js';
export { conv2d, convTranspose2d, type Conv2dOptions, type ConvTranspose2dOptions } from './conv.js';
export { maxPool2d, avgPool2d, type Pool2dOptions } from './pool.js';
export { batchNorm2d, layerNorm, l2Normalize, type BatchNormParams, type BatchNormOptions } from './norm.js';
export { resizeNearest } from './resize.js';
export { dropout } from './dropout.js';
export { after } from './after.js';
export { mlp, type LinearLayer, type MlpActivation } from './mlp.js';
export {
  GRADIENT_RULES,
  NO_GRADIENT,
  listGradientRules,
  registerGradientRules,
  gradientRulesMarkdown,
  noGradientMarkdown,
  type GradientRuleInfo,
} from './rules.js';

/**
 * A finite-difference gradient check for every differentiable op of @mcsc/graph, broadcasting cases
 * included. Each row: input shapes (and data where the op needs it) and the function under test.
 */
import { Random, type Tensor } from '../src/index';
import * as G from '../src/index';
import { distinctData, gradCheck, randomData, type GradCheckOptions, type InputSpec } from './gradcheck';

const r = new Random(7);
const positive = (shape: number[]) => Float32Array.from(randomData(shape, r), (v) => Math.abs(v) + 0.5);
const idx = (values: number[]) => BigInt64Array.from(values, (v) => BigInt(v));

type Case = [name: string, inputs: InputSpec[], fn: (...xs: Tensor[]) => Tensor, opts?: GradCheckOptions];

const cases: Case[] = [
  // elementwise, with broadcasting
  ['Add broadcast [2,3,4]+[3,1]', [{ shape: [2, 3, 4] }, { shape: [3, 1] }], (a, b) => G.add(a!, b!)],
  ['Sub broadcast [4]−[2,3,4]', [{ shape: [4] }, { shape: [2, 3, 4] }], (a, b) => G.sub(a!, b!)],
  ['Mul broadcast [2,1,4]·[3,1]', [{ shape: [2, 1, 4] }, { shape: [3, 1] }], (a, b) => G.mul(a!, b!)],
  ['Div broadcast [2,3]/[3]', [{ shape: [2, 3] }, { shape: [3], data: positive([3]) }], (a, b) => G.div(a!, b!)],
  ['Pow base and exponent', [{ shape: [2, 3], data: positive([2, 3]) }, { shape: [3] }], (a, b) => G.pow(a!, b!)],
  ['Pow scalar exponent', [{ shape: [5], data: positive([5]) }], (a) => G.pow(a!, 3)],
  ['Neg', [{ shape: [2, 3] }], (a) => G.neg(a!)],
  ['Sqrt', [{ shape: [6], data: positive([6]) }], (a) => G.sqrt(a!)],
  ['Exp', [{ shape: [6] }], (a) => G.exp(a!)],
  ['Log', [{ shape: [6], data: positive([6]) }], (a) => G.log(a!)],
  ['Abs', [{ shape: [8] }], (a) => G.abs(a!)],
  ['Relu', [{ shape: [8] }], (a) => G.relu(a!)],
  ['LeakyRelu', [{ shape: [8] }], (a) => G.leakyRelu(a!, 0.01)],
  ['Sigmoid', [{ shape: [8] }], (a) => G.sigmoid(a!)],
  ['Tanh', [{ shape: [8] }], (a) => G.tanh(a!)],
  ['Erf', [{ shape: [8] }], (a) => G.erf(a!)],
  ['GELU', [{ shape: [8] }], (a) => G.gelu(a!)],
  ['Where broadcast', [{ shape: [2, 3] }, { shape: [3] }], (a, b) => G.where(G.greater(G.stopGradient(a!), 0), a!, b!)],
  ['Identity', [{ shape: [3] }], (a) => G.identity(a!)],
  ['Cast float→float', [{ shape: [3] }], (a) => G.mul(G.cast(a!, 'float32'), 2)],
  ['ReduceSumSquare axes [1,3] keepdims', [{ shape: [2, 3, 2, 4] }], (a) => G.reduceSumSquare(a!, [1, 3], true)],
  // matrix products
  ['MatMul batched broadcast [2,3,4]@[4,5]', [{ shape: [2, 3, 4] }, { shape: [4, 5] }], (a, b) => G.matmul(a!, b!)],
  ['MatMul batch broadcast [2,1,3,4]@[3,4,2]', [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }], (a, b) => G.matmul(a!, b!)],
  [
    'Gemm transA transB + C[1,N]',
    [{ shape: [4, 3] }, { shape: [5, 4] }, { shape: [1, 5] }],
    (a, b, c) => G.gemm(a!, b!, c!, { transA: true, transB: true, alpha: 0.5, beta: 2 }),
  ],
  ['Gemm plain, C[N]', [{ shape: [3, 4] }, { shape: [4, 5] }, { shape: [5] }], (a, b, c) => G.gemm(a!, b!, c!)],
  ['Gemm transA, α 2', [{ shape: [4, 3] }, { shape: [4, 5] }], (a, b) => G.gemm(a!, b!, null, { transA: true, alpha: 2 })],
  [
    'Gemm transB (linear on rows)',
    [{ shape: [3, 4] }, { shape: [5, 4] }, { shape: [5] }],
    (a, b, c) => G.gemm(a!, b!, c!, { transB: true }),
  ],
  [
    'mlp, ReLU (hidden recomputed in the backward pass)',
    [{ shape: [6, 3] }, { shape: [5, 3] }, { shape: [5] }, { shape: [2, 5] }, { shape: [2] }],
    (x, w1, b1, w2, b2) => G.mlp(x!, { weight: w1!, bias: b1! }, { weight: w2!, bias: b2! }),
  ],
  [
    'mlp, GELU, on tokens [2,3,4]',
    [{ shape: [2, 3, 4] }, { shape: [5, 4] }, { shape: [5] }, { shape: [3, 5] }, { shape: [3] }],
    (x, w1, b1, w2, b2) => G.mlp(x!, { weight: w1!, bias: b1! }, { weight: w2!, bias: b2! }, 'gelu'),
  ],
  [
    'mlp, GELU, hidden kept (recompute: false)',
    [{ shape: [2, 3, 4] }, { shape: [5, 4] }, { shape: [5] }, { shape: [3, 5] }, { shape: [3] }],
    (x, w1, b1, w2, b2) => G.mlp(x!, { weight: w1!, bias: b1! }, { weight: w2!, bias: b2! }, 'gelu', { recompute: false }),
  ],
  [
    'checkpoint: LayerNorm, Linear, Softmax rebuilt in the backward pass',
    [{ shape: [2, 3, 4] }, { shape: [4] }, { shape: [4] }, { shape: [5, 4] }],
    (x, w, b, m) => G.checkpoint([x!, w!, b!, m!], ([x, w, b, m]) => G.softmax(G.linear(G.layerNorm(x!, w!, b!), m!))),
  ],
  ['Linear on tokens [2,3,4]', [{ shape: [2, 3, 4] }, { shape: [5, 4] }, { shape: [5] }], (x, w, b) => G.linear(x!, w!, b!)],
  // convolutions
  [
    'Conv 3×3 pad 1 + bias',
    [{ shape: [2, 3, 5, 5] }, { shape: [4, 3, 3, 3] }, { shape: [4] }],
    (x, w, b) => G.conv2d(x!, w!, b!, { padding: 1 }),
  ],
  [
    'Conv stride 2 asymmetric pads',
    [{ shape: [1, 2, 7, 6] }, { shape: [3, 2, 3, 2] }],
    (x, w) => G.conv2d(x!, w!, null, { stride: 2, padding: [1, 0, 0, 1] }),
  ],
  ['Conv dilation 2', [{ shape: [1, 2, 7, 7] }, { shape: [2, 2, 3, 3] }], (x, w) => G.conv2d(x!, w!, null, { dilation: 2, padding: 2 })],
  [
    'Conv groups 2',
    [{ shape: [2, 4, 5, 5] }, { shape: [6, 2, 3, 3] }, { shape: [6] }],
    (x, w, b) => G.conv2d(x!, w!, b!, { groups: 2, padding: 1 }),
  ],
  [
    'Conv patch embed (kernel = stride 4)',
    [{ shape: [1, 3, 8, 8] }, { shape: [4, 3, 4, 4] }],
    (x, w) => G.conv2d(x!, w!, null, { stride: 4 }),
  ],
  [
    'Conv stride 1 asymmetric pads, 2×3 kernel, dilation [1, 2]',
    [{ shape: [2, 2, 5, 7] }, { shape: [3, 2, 2, 3] }],
    (x, w) => G.conv2d(x!, w!, null, { padding: [0, 2, 1, 1], dilation: [1, 2] }),
  ],
  // The kernel gradient's stacked forms (ops/conv.ts kernelGradFlat): Cout ≤ Cin/4 and Cin ≤ Cout/4.
  [
    'Conv 3×3 pad 1, Cout = Cin/4 (gy shifted)',
    [{ shape: [1, 8, 5, 4] }, { shape: [2, 8, 3, 3] }],
    (x, w) => G.conv2d(x!, w!, null, { padding: 1 }),
  ],
  [
    'Conv Cout = Cin/4, groups 2, asymmetric pads, dilation [1, 2] (gy shifted)',
    [{ shape: [2, 8, 5, 6] }, { shape: [2, 4, 2, 3] }],
    (x, w) => G.conv2d(x!, w!, null, { groups: 2, padding: [0, 2, 1, 1], dilation: [1, 2] }),
  ],
  [
    'Conv 3×3 pad 1, Cin = Cout/4 (input taps stacked)',
    [{ shape: [2, 2, 5, 4] }, { shape: [8, 2, 3, 3] }],
    (x, w) => G.conv2d(x!, w!, null, { padding: 1 }),
  ],
  [
    'Conv Cin = Cout/4, groups 2, asymmetric pads, dilation [2, 1] (input taps stacked)',
    [{ shape: [1, 4, 6, 5] }, { shape: [16, 2, 3, 2] }],
    (x, w) => G.conv2d(x!, w!, null, { groups: 2, padding: [2, 0, 2, 1], dilation: [2, 1] }),
  ],
  ['Conv 3×3 no padding', [{ shape: [1, 2, 6, 5] }, { shape: [2, 2, 3, 3] }], (x, w) => G.conv2d(x!, w!)],
  ['Conv 1×1', [{ shape: [2, 3, 4, 4] }, { shape: [5, 3, 1, 1] }], (x, w) => G.conv2d(x!, w!)],
  [
    'ConvTranspose k2 s2 + bias',
    [{ shape: [2, 4, 3, 3] }, { shape: [4, 2, 2, 2] }, { shape: [2] }],
    (x, w, b) => G.convTranspose2d(x!, w!, b!, { stride: 2 }),
  ],
  [
    'ConvTranspose k3 s2 pad 1 outpad 1',
    [{ shape: [1, 2, 3, 4] }, { shape: [2, 3, 3, 3] }],
    (x, w) => G.convTranspose2d(x!, w!, null, { stride: 2, padding: 1, outputPadding: 1 }),
  ],
  [
    'ConvTranspose groups 2',
    [{ shape: [1, 4, 3, 3] }, { shape: [4, 1, 3, 3] }],
    (x, w) => G.convTranspose2d(x!, w!, null, { groups: 2, padding: 1 }),
  ],
  // pooling
  ['MaxPool 2×2', [{ shape: [2, 2, 4, 6], data: distinctData([2, 2, 4, 6], r) }], (x) => G.maxPool2d(x!, { kernel: 2 })],
  [
    'MaxPool 3×3 stride 2 pad 1',
    [{ shape: [1, 2, 5, 5], data: distinctData([1, 2, 5, 5], r) }],
    (x) => G.maxPool2d(x!, { kernel: 3, stride: 2, padding: 1 }),
  ],
  ['AveragePool 2×2', [{ shape: [2, 2, 4, 4] }], (x) => G.avgPool2d(x!, { kernel: 2 })],
  ['AveragePool 3×3 stride 2 pad 1', [{ shape: [1, 2, 5, 6] }], (x) => G.avgPool2d(x!, { kernel: 3, stride: 2, padding: 1 })],
  // normalisation
  [
    'BatchNorm training (batch statistics)',
    [{ shape: [3, 2, 3, 3] }, { shape: [2] }, { shape: [2] }],
    (x, w, b) => batchNormWith(x!, w!, b!),
    { training: true },
  ],
  [
    'BatchNorm eval (running statistics)',
    [{ shape: [3, 2, 3, 3] }, { shape: [2] }, { shape: [2] }],
    (x, w, b) => batchNormWith(x!, w!, b!),
    { training: false },
  ],
  ['LayerNorm last axis', [{ shape: [2, 3, 5] }, { shape: [5] }, { shape: [5] }], (x, w, b) => G.layerNorm(x!, w!, b!)],
  ['LayerNorm two axes', [{ shape: [2, 3, 4] }, { shape: [3, 4] }, { shape: [3, 4] }], (x, w, b) => G.layerNorm(x!, w!, b!, { axis: 1 })],
  [
    'LayerNorm recomputing its statistics (a graph without training outputs)',
    [{ shape: [2, 3, 5] }, { shape: [5] }, { shape: [5] }],
    (x, w, b) => G.layerNorm(x!, w!, b!),
    { training: false },
  ],
  ['Softmax axis 1', [{ shape: [2, 4, 3] }], (x) => G.softmax(x!, 1)],
  ['LogSoftmax last axis', [{ shape: [3, 5] }], (x) => G.logSoftmax(x!, -1)],
  ['Softmax last axis', [{ shape: [3, 5] }], (x) => G.softmax(x!, -1)],
  ['LogSoftmax axis 1 of NCHW', [{ shape: [2, 3, 2, 2] }], (x) => G.logSoftmax(x!, 1)],
  ['l2Normalize', [{ shape: [2, 4, 3] }], (x) => G.l2Normalize(x!, 1)],
  // reductions
  ['ReduceSum axes [0,2] keepdims', [{ shape: [2, 3, 4] }], (x) => G.reduceSum(x!, [0, 2], true)],
  ['ReduceSum over leading axes [0,1] (ones·x)', [{ shape: [2, 3, 4] }], (x) => G.reduceSum(x!, [0, 1])],
  ['ReduceSum over leading axes, eval graph (a ReduceSum)', [{ shape: [2, 3, 4] }], (x) => G.reduceSum(x!, [0], true), { training: false }],
  ['ReduceMean axis 1', [{ shape: [2, 3, 4] }], (x) => G.reduceMean(x!, [1])],
  ['ReduceMax axis −1', [{ shape: [3, 5], data: distinctData([3, 5], r) }], (x) => G.reduceMax(x!, [-1])],
  [
    'ReduceMax with ties shares the gradient',
    [{ shape: [4], data: Float32Array.of(1, 3, 3, 0) }],
    (x) => G.reduceMax(x!),
    { eps: 1e-3, samples: 4 },
  ],
  // shapes and layout
  ['Reshape with −1', [{ shape: [2, 3, 4] }], (x) => G.reshape(x!, [-1, 4])],
  ['Transpose', [{ shape: [2, 3, 4] }], (x) => G.transpose(x!, [2, 0, 1])],
  ['Slice with steps', [{ shape: [3, 8] }], (x) => G.slice(x!, { axes: [1], starts: [1], ends: [8], steps: [3] })],
  ['Slice negative step', [{ shape: [3, 7] }], (x) => G.slice(x!, { axes: [0, 1], starts: [2, -2], ends: [0, 0], steps: [-1, -2] })],
  ['Concat', [{ shape: [2, 3] }, { shape: [2, 2] }], (a, b) => G.concat([a!, b!], 1)],
  [
    'Split',
    [{ shape: [2, 5] }],
    (x) => {
      const [a, b] = G.split(x!, [2, 3], 1);
      return G.concat([G.mul(b!, 2), a!], 1);
    },
  ],
  ['Split, one piece unused', [{ shape: [4, 3] }], (x) => G.split(x!, [1, 3], 0)[1]!],
  ['Pad', [{ shape: [2, 3] }], (x) => G.pad(x!, [1, 0, 2, 3])],
  ['Expand', [{ shape: [3, 1] }], (x) => G.expand(x!, [2, 3, 4])],
  [
    'Gather axis 0 with repeats',
    [{ shape: [4, 3] }, { shape: [5], dtype: 'int64', data: idx([0, 2, 2, 3, 0]) }],
    (x, i) => G.gather(x!, i!, 0),
  ],
  [
    'Gather axis 1, 2-D indices',
    [{ shape: [2, 4, 3] }, { shape: [2, 2], dtype: 'int64', data: idx([3, 1, 1, 0]) }],
    (x, i) => G.gather(x!, i!, 1),
  ],
  ['Resize nearest ×2', [{ shape: [1, 2, 3, 2] }], (x) => G.resizeNearest(x!, [6, 4])],
  ['Resize nearest down 5→3', [{ shape: [1, 1, 5, 5] }], (x) => G.resizeNearest(x!, [3, 2])],
  [
    'OneHot-weighted sum (labels are constants)',
    [{ shape: [2, 3] }, { shape: [2], dtype: 'int64', data: idx([2, 0]) }],
    (x, l) => G.mul(x!, G.oneHot(l!, 3)),
  ],
  ['Fan-out: x·x + exp(x)', [{ shape: [4] }], (x) => G.add(G.mul(x!, x!), G.exp(x!))],
];

function batchNormWith(x: Tensor, weight: Tensor, bias: Tensor): Tensor {
  const g = x.graph;
  const c = x.shape[1]!;
  const runningMean = g.state('rm', [c], () => Float32Array.from({ length: c }, (_, i) => 0.1 * i));
  const runningVar = g.state('rv', [c], () => Float32Array.from({ length: c }, (_, i) => 1 + 0.5 * i));
  return G.batchNorm2d(x, { weight, bias, runningMean, runningVar });
}

describe('finite-difference gradients of every differentiable op', () => {
  // Rows padded to four entries: jest reads a test function with more parameters than row entries as `done`-style.
  const rows = cases.map(([name, inputs, fn, opts]) => [name, inputs, fn, opts ?? {}] as const);
  test.each(rows)('%s', async (_name, inputs, fn, opts) => {
    const result = await gradCheck(inputs, fn, opts);
    expect(result.checked).toBeGreaterThan(0);
    expect(result.failures).toEqual([]);
  });
});

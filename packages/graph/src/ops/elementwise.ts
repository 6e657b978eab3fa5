/**
 * Elementwise arithmetic with NumPy broadcasting, and Where. Each op: its gradient rule, then its
 * ONNX node. A plain number operand becomes a float32 scalar constant.
 */
import { defineGradient, type BoundGradient, type Graph, type GradientRule } from '../graph.js';
import { formatShape, type Tensor } from '../tensor.js';
import { broadcastShapes, unbroadcast } from './broadcast.js';
import { McscError } from '../errors.js';

export type Operand = Tensor | number;

function graphOf(op: string, ...xs: Operand[]): Graph {
  const t = xs.find((x): x is Tensor => typeof x !== 'number');
  if (!t) throw new McscError(op, 'at least one operand must be a tensor');
  return t.graph;
}

export function lift(g: Graph, x: Operand, like?: Tensor): Tensor {
  return typeof x === 'number' ? g.scalar(x, like?.dtype === 'int64' ? 'int64' : 'float32') : x;
}

function checkDtypes(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) throw new McscError(op, `operand dtypes differ (${a.dtype} and ${b.dtype})`);
}

type BinaryGrad = (gy: Tensor, a: Tensor, b: Tensor, out: Tensor) => Tensor;

/** The rule of a broadcasting binary op: each partial, summed back to its operand's shape. */
function binaryRule(
  op: string,
  formula: string,
  gradA: BinaryGrad,
  gradB: BinaryGrad,
  inputs = ['A', 'B'],
): GradientRule<{ a: Tensor; b: Tensor }> {
  return defineGradient({
    name: op,
    op,
    grads: inputs,
    formula,
    backward: ([gy], { a, b }, node) => [
      () => unbroadcast(gradA(gy!, a, b, node.outputs[0]!), a.shape),
      () => unbroadcast(gradB(gy!, a, b, node.outputs[0]!), b.shape),
    ],
  });
}

function binary(rule: GradientRule<{ a: Tensor; b: Tensor }>, x: Operand, y: Operand): Tensor {
  const op = rule.op;
  const g = graphOf(op, x, y);
  const ref = typeof x === 'number' ? (y as Tensor) : x;
  const a = lift(g, x, ref);
  const b = lift(g, y, ref);
  checkDtypes(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  return g.addNode({ op, inputs: [a, b], outputs: [{ shape, dtype: a.dtype }], gradient: rule.with({ a, b }) })[0]!;
}

/** The rule of a unary op from dx(gy, x, y). */
function unaryRule(op: string, formula: string, grad: (gy: Tensor, x: Tensor, y: Tensor) => Tensor): GradientRule<Tensor> {
  return defineGradient<Tensor>({
    name: op,
    op,
    grads: ['X'],
    formula,
    backward: ([gy], x, node) => [() => grad(gy!, x, node.outputs[0]!)],
  });
}

function unary(rule: GradientRule<Tensor>, x: Tensor): Tensor {
  return unaryNode(rule.op, x, rule.with(x));
}

/** A float32 unary node of `op` carrying `gradient`. */
function unaryNode(op: string, x: Tensor, gradient: BoundGradient): Tensor {
  if (x.dtype !== 'float32') throw new McscError(op, `expected a float32 tensor, got ${x.dtype}${formatShape(x.shape)}`);
  return x.graph.addNode({ op, inputs: [x], outputs: [{ shape: x.shape, dtype: x.dtype }], gradient })[0]!;
}

const ADD = binaryRule(
  'Add',
  'dA = gy, dB = gy',
  (gy) => gy,
  (gy) => gy,
);
const SUB = binaryRule(
  'Sub',
  'dA = gy, dB = −gy',
  (gy) => gy,
  (gy) => neg(gy),
);
const MUL = binaryRule(
  'Mul',
  'dA = gy·B, dB = gy·A',
  (gy, _a, b) => mul(gy, b),
  (gy, a) => mul(gy, a),
);
const DIV = binaryRule(
  'Div',
  'dA = gy/B, dB = −gy·C/B (C = A/B, the output)',
  (gy, _a, b) => div(gy, b),
  (gy, _a, b, out) => neg(div(mul(gy, out), b)),
);
const POW = binaryRule(
  'Pow',
  'dX = gy·Y·X^(Y−1), dY = gy·Z·log X',
  (gy, a, b) => mul(gy, mul(b, pow(a, sub(b, 1)))),
  (gy, a, _b, out) => mul(gy, mul(out, log(a))),
  ['X', 'Y'],
);

export const add = (a: Operand, b: Operand): Tensor => binary(ADD, a, b);
export const sub = (a: Operand, b: Operand): Tensor => binary(SUB, a, b);
export const mul = (a: Operand, b: Operand): Tensor => binary(MUL, a, b);
export const div = (a: Operand, b: Operand): Tensor => binary(DIV, a, b);
export const pow = (a: Operand, b: Operand): Tensor => binary(POW, a, b);

const NEG = unaryRule('Neg', 'dx = −gy', (gy) => neg(gy));
const SQRT = unaryRule('Sqrt', 'dx = gy/(2y)', (gy, _x, y) => div(gy, mul(y, 2)));
const EXP = unaryRule('Exp', 'dx = gy·y', (gy, _x, y) => mul(gy, y));
const LOG = unaryRule('Log', 'dx = gy/x', (gy, x) => div(gy, x));
const ABS = unaryRule('Abs', 'dx = gy·sign(x) (0 at 0, as PyTorch)', (gy, x) => mul(gy, sign(x)));
const TANH = unaryRule('Tanh', 'dx = gy·(1 − y²)', (gy, _x, y) => mul(gy, sub(1, mul(y, y))));
const SIGMOID = unaryRule('Sigmoid', 'dx = gy·y·(1 − y)', (gy, _x, y) => mul(gy, mul(y, sub(1, y))));
const ERF = unaryRule('Erf', 'dx = gy·2/√π·exp(−x²)', (gy, x) => mul(gy, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))));
// From the output, not the input (y > 0 exactly where x > 0): the input can then die after the
// forward pass — a pre-activation map the size of the activation that nothing else keeps.
const RELU = unaryRule('Relu', 'dx = gy·[y > 0]', (gy, _x, y) => selectPositive(y, gy, y.graph.scalar(0)));

export const neg = (x: Tensor): Tensor => unary(NEG, x);
export const sqrt = (x: Tensor): Tensor => unary(SQRT, x);
export const exp = (x: Tensor): Tensor => unary(EXP, x);
export const log = (x: Tensor): Tensor => unary(LOG, x);
export const abs = (x: Tensor): Tensor => unary(ABS, x);
export const tanh = (x: Tensor): Tensor => unary(TANH, x);
export const sigmoid = (x: Tensor): Tensor => unary(SIGMOID, x);
export const erf = (x: Tensor): Tensor => unary(ERF, x);
export const relu = (x: Tensor): Tensor => unary(RELU, x);
/** `relu`'s node with another rule (ops/mlp.ts gives it one that recomputes its output). */
export const reluWithRule = (x: Tensor, gradient: BoundGradient): Tensor => unaryNode('Relu', x, gradient);

const LEAKY_RELU = defineGradient<{ x: Tensor; alpha: number }>({
  name: 'LeakyRelu',
  op: 'LeakyRelu',
  grads: ['X'],
  formula: 'dx = where(y > 0, gy, α·gy) (α ≥ 0: y > 0 exactly where x > 0; else where(x > 0, …))',
  // As Relu: from the output when its sign is the input's, so the input need not outlive the forward pass.
  backward: ([gy], { x, alpha }, node) => [() => selectPositive(alpha >= 0 ? node.outputs[0]! : x, gy!, mul(gy!, alpha))],
});

export function leakyRelu(x: Tensor, alpha = 0.01): Tensor {
  if (x.dtype !== 'float32') throw new McscError('LeakyRelu', `expected a float32 tensor, got ${x.dtype}${formatShape(x.shape)}`);
  return x.graph.addNode({
    op: 'LeakyRelu',
    inputs: [x],
    outputs: [{ shape: x.shape, dtype: x.dtype }],
    attrs: { alpha: { float: alpha } },
    gradient: LEAKY_RELU.with({ x, alpha }),
  })[0]!;
}

/** where(x > 0, a, b) (a gradient-rule helper; the comparison is not differentiable). */
export function selectPositive(x: Tensor, a: Tensor, b: Tensor): Tensor {
  const g = x.graph;
  return where(g.addNode({ op: 'Greater', inputs: [x, g.scalar(0)], outputs: [{ shape: x.shape, dtype: 'bool' }] })[0]!, a, b);
}

/**
 * GELU's gradient, on the last node of `gelu` (y = (x·½)·(1 + erf(u)), u = x/√2), from x alone:
 * dy/dx = Φ(x) + x·φ(x) = ½(1 + erf(u) + (2/√π)·u·exp(−u²)). The rule hands the first factor (x·½) twice
 * that, and that factor's Mul halves it back (exactly: powers of two), and hands the second factor
 * nothing, so autodiff never walks the Erf chain: its three intermediates (u, erf(u) + 1, x·½; each the
 * size of the MLP's hidden layer) die after the forward pass, and onnxruntime may fuse the chain into
 * one Gelu kernel. The backward recomputes erf(u) instead. (The second factor enters through a
 * stop-gradient: its path is in dA.)
 */
const MUL_GELU = defineGradient<Tensor>({
  name: 'Mul.gelu',
  op: 'Mul',
  grads: ['A', 'B'],
  formula:
    'dA = gy·(1 + erf(u) + (2/√π)·u·exp(−u²)), u = x/√2 (A = x·½: dx = dA·½ = gy·GELU′(x)); B: none (stop-gradient, its path is in dA)',
  backward: ([gy], x) => [() => mul(gy!, twiceGeluSlope(x)), null],
});

/** 2·GELU′(x) = 1 + erf(u) + (2/√π)·u·exp(−u²), u = x/√2: what the last node of `gelu` hands its first factor x·½ per unit of gy. */
export function twiceGeluSlope(x: Tensor): Tensor {
  const u = mul(x, Math.SQRT1_2);
  return add(add(erf(u), 1), mul(mul(u, exp(neg(mul(u, u)))), 2 / Math.sqrt(Math.PI)));
}

/** GELU, exact (erf) form as PyTorch's default: x·½(1 + erf(x/√2)), its gradient from x alone ({@link MUL_GELU}). */
export function gelu(x: Tensor): Tensor {
  return geluWithRule(x, MUL_GELU.with(x));
}

/** `gelu`'s nodes, `gradient` on the last one (ops/mlp.ts gives it a rule that recomputes x). */
export function geluWithRule(x: Tensor, gradient: BoundGradient): Tensor {
  if (x.dtype !== 'float32') throw new McscError('gelu', `expected a float32 tensor, got ${x.dtype}${formatShape(x.shape)}`);
  const half = mul(x, 0.5);
  const onePlusErf = add(erf(mul(x, Math.SQRT1_2)), 1);
  // logic.ts's stopGradient, inline: logic.ts imports this file
  const [stopped] = x.graph.addNode({
    op: 'Identity',
    inputs: [onePlusErf],
    outputs: [{ shape: x.shape, dtype: 'float32' }],
    stopsGradient: true,
  });
  return x.graph.addNode({ op: 'Mul', inputs: [half, stopped!], outputs: [{ shape: x.shape, dtype: 'float32' }], gradient })[0]!;
}

/** sign(x) ∈ {−1, 0, 1}; not differentiable (used inside gradient rules). */
export function sign(x: Tensor): Tensor {
  return x.graph.addNode({ op: 'Sign', inputs: [x], outputs: [{ shape: x.shape, dtype: x.dtype }] })[0]!;
}

const WHERE = defineGradient<{ cond: Tensor; a: Tensor; b: Tensor }>({
  name: 'Where',
  op: 'Where',
  grads: ['X', 'Y'],
  formula: 'dX = where(c, gy, 0), dY = where(c, 0, gy)',
  backward: ([gy], { cond, a, b }) => [
    null,
    () => unbroadcast(where(cond, gy!, 0), a.shape),
    () => unbroadcast(where(cond, 0, gy!), b.shape),
  ],
});

/** where(cond, a, b): a where cond holds, else b. Gradient flows to a and b, masked. */
export function where(cond: Tensor, x: Operand, y: Operand): Tensor {
  const g = cond.graph;
  if (cond.dtype !== 'bool') throw new McscError('Where', `condition must be bool, got ${cond.dtype}`);
  const ref = typeof x === 'number' ? (typeof y === 'number' ? undefined : y) : x;
  const a = lift(g, x, ref);
  const b = lift(g, y, ref);
  if (a.dtype !== b.dtype) throw new McscError('Where', `branch dtypes differ (${a.dtype} and ${b.dtype})`);
  const shape = broadcastShapes('Where', broadcastShapes('Where', cond.shape, a.shape), b.shape);
  return g.addNode({ op: 'Where', inputs: [cond, a, b], outputs: [{ shape, dtype: a.dtype }], gradient: WHERE.with({ cond, a, b }) })[0]!;
}

export const ELEMENTWISE_RULES = [ADD, SUB, MUL, DIV, POW, NEG, SQRT, EXP, LOG, ABS, TANH, SIGMOID, ERF, RELU, LEAKY_RELU, MUL_GELU, WHERE];

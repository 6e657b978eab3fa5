/**
 * Elementwise arithmetic with NumPy broadcasting. Each op: its ONNX node and, beside it, its gradient.
 * A plain number operand becomes a float32 scalar constant.
 */
import type { Graph } from '../graph.js';
import { formatShape, type Tensor } from '../tensor.js';
import { broadcastShapes, unbroadcast } from './broadcast.js';

export type Operand = Tensor | number;

function graphOf(op: string, ...xs: Operand[]): Graph {
  const t = xs.find((x): x is Tensor => typeof x !== 'number');
  if (!t) throw new TypeError(`${op}: at least one operand must be a tensor`);
  return t.graph;
}

export function lift(g: Graph, x: Operand, like?: Tensor): Tensor {
  return typeof x === 'number' ? g.scalar(x, like?.dtype === 'int64' ? 'int64' : 'float32') : x;
}

function checkDtypes(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) throw new TypeError(`${op}: operand dtypes differ (${a.dtype} and ${b.dtype})`);
}

function binary(
  op: string,
  x: Operand,
  y: Operand,
  gradA: ((gy: Tensor, a: Tensor, b: Tensor, out: Tensor) => Tensor) | null,
  gradB: ((gy: Tensor, a: Tensor, b: Tensor, out: Tensor) => Tensor) | null,
): Tensor {
  const g = graphOf(op, x, y);
  const ref = typeof x === 'number' ? (y as Tensor) : x;
  const a = lift(g, x, ref);
  const b = lift(g, y, ref);
  checkDtypes(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const [out] = g.addNode({
    op,
    inputs: [a, b],
    outputs: [{ shape, dtype: a.dtype }],
    gradient: ([gy], node) => [
      gradA ? () => unbroadcast(gradA(gy!, a, b, node.outputs[0]!), a.shape) : null,
      gradB ? () => unbroadcast(gradB(gy!, a, b, node.outputs[0]!), b.shape) : null,
    ],
  });
  return out!;
}

function unary(op: string, x: Tensor, grad: (gy: Tensor, x: Tensor, y: Tensor) => Tensor, attrs = {}): Tensor {
  if (x.dtype !== 'float32') throw new TypeError(`${op}: expected a float32 tensor, got ${x.dtype}${formatShape(x.shape)}`);
  const [out] = x.graph.addNode({
    op,
    inputs: [x],
    outputs: [{ shape: x.shape, dtype: x.dtype }],
    attrs,
    gradient: ([gy], node) => [() => grad(gy!, x, node.outputs[0]!)],
  });
  return out!;
}

// d(a+b) = (1, 1)
export const add = (a: Operand, b: Operand): Tensor => binary('Add', a, b, (gy) => gy, (gy) => gy);
// d(a−b) = (1, −1)
export const sub = (a: Operand, b: Operand): Tensor => binary('Sub', a, b, (gy) => gy, (gy) => neg(gy));
// d(a·b) = (b, a)
export const mul = (a: Operand, b: Operand): Tensor =>
  binary('Mul', a, b, (gy, _a, b) => mul(gy, b), (gy, a) => mul(gy, a));
// d(a/b) = (1/b, −a/b² = −out/b)
export const div = (a: Operand, b: Operand): Tensor =>
  binary('Div', a, b, (gy, _a, b) => div(gy, b), (gy, _a, b, out) => neg(div(mul(gy, out), b)));
// d(a^b) = (b·a^(b−1), out·log a)
export const pow = (a: Operand, b: Operand): Tensor =>
  binary(
    'Pow',
    a,
    b,
    (gy, a, b) => mul(gy, mul(b, pow(a, sub(b, 1)))),
    (gy, a, _b, out) => mul(gy, mul(out, log(a))),
  );

// d(−x) = −1
export const neg = (x: Tensor): Tensor => unary('Neg', x, (gy) => neg(gy));
// d√x = 1/(2√x)
export const sqrt = (x: Tensor): Tensor => unary('Sqrt', x, (gy, _x, y) => div(gy, mul(y, 2)));
// d eˣ = eˣ
export const exp = (x: Tensor): Tensor => unary('Exp', x, (gy, _x, y) => mul(gy, y));
// d log x = 1/x
export const log = (x: Tensor): Tensor => unary('Log', x, (gy, x) => div(gy, x));
// d|x| = sign(x)  (0 at 0, as PyTorch)
export const abs = (x: Tensor): Tensor => unary('Abs', x, (gy, x) => mul(gy, sign(x)));
// d tanh = 1 − tanh²
export const tanh = (x: Tensor): Tensor => unary('Tanh', x, (gy, _x, y) => mul(gy, sub(1, mul(y, y))));
// d σ = σ(1 − σ)
export const sigmoid = (x: Tensor): Tensor => unary('Sigmoid', x, (gy, _x, y) => mul(gy, mul(y, sub(1, y))));
// d erf = 2/√π · e^(−x²)
export const erf = (x: Tensor): Tensor =>
  unary('Erf', x, (gy, x) => mul(gy, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))));
// d relu = [x > 0]
export const relu = (x: Tensor): Tensor => unary('Relu', x, (gy, x) => selectPositive(x, gy, zerosLikeScalar(x)));

const zerosLikeScalar = (x: Tensor): Tensor => x.graph.scalar(0);
// d leaky = 1 where x > 0, α elsewhere: where(x > 0, gy, α·gy)
export function leakyRelu(x: Tensor, alpha = 0.01): Tensor {
  return unary('LeakyRelu', x, (gy, x) => selectPositive(x, gy, mul(gy, alpha)), { alpha: { float: alpha } });
}

/** where(x > 0, a, b), built directly (a gradient-rule helper; not differentiable). */
function selectPositive(x: Tensor, a: Tensor, b: Tensor): Tensor {
  const g = x.graph;
  const positive = g.addNode({ op: 'Greater', inputs: [x, g.scalar(0)], outputs: [{ shape: x.shape, dtype: 'bool' }] })[0]!;
  return g.addNode({ op: 'Where', inputs: [positive, a, b], outputs: [{ shape: a.shape, dtype: a.dtype }] })[0]!;
}

/** GELU, exact (erf) form as PyTorch's default: x·½(1 + erf(x/√2)), built from differentiable primitives. */
export function gelu(x: Tensor): Tensor {
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

/** sign(x) ∈ {−1, 0, 1}; not differentiable (used inside gradient rules). */
export function sign(x: Tensor): Tensor {
  const [out] = x.graph.addNode({ op: 'Sign', inputs: [x], outputs: [{ shape: x.shape, dtype: x.dtype }] });
  return out!;
}

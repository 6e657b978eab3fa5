/**
 * Broadcasting and its adjoint: the ops every other op module builds on. Expand's gradient is a
 * ReduceSum and ReduceSum's is an Expand, and both reshape, so the three live here together with
 * `unbroadcast`; this module imports no other op module, which keeps ops/ free of import cycles
 * (shape.ts and reduce.ts re-export them). Forward and gradient rule side by side.
 */
import { defineGradient, type Graph, type GradientRule } from '../graph.js';
import { formatShape, normalizeAxis, shapeSize, type DType, type Shape, type Tensor } from '../tensor.js';
import { McscError } from '../errors.js';

/** NumPy/ONNX multidirectional broadcasting of two shapes; the error names the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new McscError(op, `shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Sum a broadcast gradient back to the shape of the operand that was broadcast. */
export function unbroadcast(grad: Tensor, shape: Shape): Tensor {
  const lead = grad.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < grad.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && grad.shape[i] !== 1)) axes.push(i);
  }
  if (axes.length === 0) return grad;
  const summed = reduceSum(grad, axes, true);
  return lead === 0 ? summed : reshape(summed, shape);
}

const RESHAPE = defineGradient<{ x: Tensor }>({
  name: 'Reshape',
  op: 'Reshape',
  grads: ['data'],
  formula: 'dx = reshape(gy, shape(x))',
  backward: ([gy], { x }) => [() => reshape(gy!, x.shape), null],
});

/**
 * Reshape. `shape` may hold −1 (inferred) and 0 (copy the input's dimension), as ONNX and PyTorch's
 * `view`. The spec is emitted as written, so a model that writes its batch dimension as −1 or 0
 * exports with a dynamic batch.
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const out = shape.map((d, i) => (d === 0 ? x.shape[i]! : d));
  const unknown = out.indexOf(-1);
  if (unknown !== out.lastIndexOf(-1)) throw new McscError('Reshape', `more than one −1 in ${formatShape(shape)}`);
  if (unknown >= 0) {
    const known = out.reduce((n, d) => (d === -1 ? n : n * d), 1);
    out[unknown] = known === 0 ? 0 : x.size / known;
  }
  if (out.some((d) => !Number.isInteger(d) || d < 0) || shapeSize(out) !== x.size) {
    throw new McscError('Reshape', `cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
  }
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return x.graph.addNode({
    op: 'Reshape',
    inputs: [x, x.graph.ints(shape)],
    outputs: [{ shape: out, dtype: x.dtype }],
    gradient: RESHAPE.with({ x }),
  })[0]!;
}

const EXPAND = defineGradient<{ x: Tensor }>({
  name: 'Expand',
  op: 'Expand',
  grads: ['input'],
  formula: 'dx = Σ gy over the broadcast axes (unbroadcast)',
  backward: ([gy], { x }) => [() => unbroadcast(gy!, x.shape), null],
});

/**
 * Broadcast x to `shape` (NumPy rules, both directions, like ONNX Expand). Dimensions that x already
 * has are emitted as 1, so the node never pins the batch size.
 */
export function expand(x: Tensor, shape: Shape): Tensor {
  const out = broadcastShapes('Expand', x.shape, shape);
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  const lead = out.length - x.rank;
  const spec = out.map((d, i) => (i >= lead && x.shape[i - lead] === d ? 1 : d));
  return x.graph.addNode({
    op: 'Expand',
    inputs: [x, x.graph.ints(spec)],
    outputs: [{ shape: out, dtype: x.dtype }],
    gradient: EXPAND.with({ x }),
  })[0]!;
}

/** A zero tensor of the given shape, as a scalar broadcast (no large constant in the model). */
export function zeros(g: Graph, shape: Shape, dtype: DType = 'float32'): Tensor {
  return expand(g.scalar(0, dtype), shape);
}

export type ReduceOp = 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceSumSquare';

/** What a reduction's gradient rule reads: the input, the reduced axes, the kept-dims shape, the count. */
export interface ReduceContext {
  x: Tensor;
  ax: number[];
  kept: number[];
  count: number;
}

export function reducedShape(op: string, x: Tensor, axes: readonly number[] | undefined, keepDims: boolean) {
  const all = axes === undefined || axes.length === 0;
  const ax = all ? x.shape.map((_, i) => i) : [...new Set(axes.map((a) => normalizeAxis(op, a, x.rank)))].sort();
  const kept = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const shape = keepDims ? kept : x.shape.filter((_, i) => !ax.includes(i));
  return { ax, kept, shape };
}

/**
 * A reduction node. Its rule's `backward` gets gy and y reshaped to the kept-dims shape, so rules
 * are written once for keepdims 0 and 1.
 */
export function reduce(rule: GradientRule<ReduceContext>, x: Tensor, axes: readonly number[] | undefined, keepDims: boolean): Tensor {
  const op = rule.op;
  if (x.dtype === 'bool') throw new McscError(op, `cannot reduce a bool tensor ${formatShape(x.shape)}`);
  const { ax, kept, shape } = reducedShape(op, x, axes, keepDims);
  const count = ax.reduce((n, a) => n * x.shape[a]!, 1);
  return x.graph.addNode({
    op,
    inputs: [x, x.graph.ints(ax)],
    outputs: [{ shape, dtype: x.dtype }],
    attrs: { keepdims: keepDims ? 1 : 0 },
    gradient: rule.with({ x, ax, kept, count }),
  })[0]!;
}

/** A reduction's rule from dx(gy, y, ctx), with gy and y in the kept-dims shape. */
export function reductionRule(
  op: ReduceOp,
  formula: string,
  dx: (gy: Tensor, y: Tensor, ctx: ReduceContext) => Tensor,
): GradientRule<ReduceContext> {
  return defineGradient<ReduceContext>({
    name: op,
    op,
    grads: ['data'],
    formula,
    backward: ([gy], ctx, node) => [() => dx(reshape(gy!, ctx.kept), reshape(node.outputs[0]!, ctx.kept), ctx), null],
  });
}

const REDUCE_SUM = reductionRule('ReduceSum', 'dx = expand(gy)', (gy, _y, { x }) => expand(gy, x.shape));

/**
 * Σ over axes (all axes when omitted). In a training graph, a sum over leading axes that keeps the
 * trailing ones (a bias's or a LayerNorm weight's gradient, a weight shared across a batch) is a
 * product with ones instead ({@link sumLeadingAxes}); the value is the same sum in another order.
 */
export function reduceSum(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  const { ax, shape } = reducedShape('ReduceSum', x, axes, keepDims);
  const leading = ax.length < x.rank && ax.every((a, i) => a === i);
  if (leading && x.graph.training && x.dtype === 'float32' && x.size > 0) return reshape(sumLeadingAxes(x, ax.length), shape);
  return reduce(REDUCE_SUM, x, axes, keepDims);
}

const SUM_LEADING = defineGradient<{ x: Tensor }>({
  name: 'MatMul.sumLeading',
  op: 'MatMul',
  grads: ['B'],
  formula: "y = ones[1,M]·x[M,K], Σ over x's leading axes (ops/broadcast.ts): dx = expand(gy, [M,K])",
  backward: ([gy], { x }) => [null, () => expand(gy!, x.shape)],
});

/**
 * Σ over the first `lead` axes of x as ones[1, M]·x[M, K] → [1, K]. onnxruntime's CPU ReduceSum over
 * leading axes ran 3–24× slower than this product on MLAS (measured 2026-12-03: [4·16384, 24] 2.46 →
 * 0.10 ms, [4·50176, 96] 8.5 → 2.5 ms, [16, 442368] 3.2 → 0.8 ms); over trailing or inner axes it is
 * fast and stays a ReduceSum. Only in training graphs, which have static shapes: the ones' length is
 * the batch times the other leading sizes.
 */
function sumLeadingAxes(x: Tensor, lead: number): Tensor {
  const m = shapeSize(x.shape.slice(0, lead));
  const flat = reshape(x, [m, x.size / m]);
  const ones = expand(x.graph.scalar(1), [1, m]);
  return x.graph.addNode({
    op: 'MatMul',
    inputs: [ones, flat],
    outputs: [{ shape: [1, flat.shape[1]!], dtype: 'float32' }],
    gradient: SUM_LEADING.with({ x: flat }),
  })[0]!;
}

export const BROADCAST_RULES = [RESHAPE, EXPAND, REDUCE_SUM, SUM_LEADING];

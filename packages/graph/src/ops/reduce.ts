/** Reductions over axes. Gradients broadcast the output gradient back over the reduced axes. */
import { formatShape, normalizeAxis, type Tensor } from '../tensor.js';
import { add, div, mul } from './elementwise.js';
import { cast, equal } from './logic.js';
import { expand, reshape } from './shape.js';

type ReduceOp = 'ReduceSum' | 'ReduceMean' | 'ReduceMax';

function reducedShape(op: string, x: Tensor, axes: readonly number[] | undefined, keepDims: boolean) {
  const all = axes === undefined || axes.length === 0;
  const ax = all ? x.shape.map((_, i) => i) : [...new Set(axes.map((a) => normalizeAxis(op, a, x.rank)))].sort();
  const kept = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const shape = keepDims ? kept : x.shape.filter((_, i) => !ax.includes(i));
  return { ax, kept, shape };
}

function reduce(op: ReduceOp, x: Tensor, axes: readonly number[] | undefined, keepDims: boolean, grad: (gyKept: Tensor, y: Tensor, count: number) => Tensor): Tensor {
  if (x.dtype === 'bool') throw new TypeError(`${op}: cannot reduce a bool tensor ${formatShape(x.shape)}`);
  const { ax, kept, shape } = reducedShape(op, x, axes, keepDims);
  const count = ax.reduce((n, a) => n * x.shape[a]!, 1);
  return x.graph.addNode({
    op,
    inputs: [x, x.graph.ints(ax)],
    outputs: [{ shape, dtype: x.dtype }],
    attrs: { keepdims: keepDims ? 1 : 0 },
    gradient: ([gy], node) => [
      () => grad(reshape(gy!, kept), reshape(node.outputs[0]!, kept), count),
      null,
    ],
  })[0]!;
}

/** Σ over axes (all axes when omitted). d/dx = 1 broadcast. */
export function reduceSum(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  return reduce('ReduceSum', x, axes, keepDims, (gy) => expand(gy, x.shape));
}

/** Mean over axes. d/dx = 1/count broadcast. */
export function reduceMean(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  return reduce('ReduceMean', x, axes, keepDims, (gy, _y, count) => expand(div(gy, count), x.shape));
}

/** Max over axes. The gradient is shared equally among tied maxima (PyTorch's `amax`). */
export function reduceMax(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  const { ax } = reducedShape('ReduceMax', x, axes, keepDims);
  return reduce('ReduceMax', x, axes, keepDims, (gy, y) => {
    const isMax = cast(equal(x, y), 'float32');
    const ties = reduceSum(isMax, ax, true);
    return mul(isMax, div(gy, ties));
  });
}

/** Σ of all elements of several tensors (used to fold losses). */
export function sumAll(...xs: Tensor[]): Tensor {
  return xs.map((x) => reduceSum(x)).reduce((a, b) => add(a, b));
}

/** Comparisons, selection, casts and identity. Comparisons are not differentiable. */
import { formatShape, type DType, type Tensor } from '../tensor.js';
import { broadcastShapes, unbroadcast } from './broadcast.js';
import { lift, mul, type Operand } from './elementwise.js';

function compare(op: 'Equal' | 'Less' | 'Greater', a: Tensor, y: Operand): Tensor {
  const b = lift(a.graph, y, a);
  if (a.dtype !== b.dtype) throw new TypeError(`${op}: operand dtypes differ (${a.dtype} and ${b.dtype})`);
  const shape = broadcastShapes(op, a.shape, b.shape);
  return a.graph.addNode({ op, inputs: [a, b], outputs: [{ shape, dtype: 'bool' }] })[0]!;
}

export const equal = (a: Tensor, b: Operand): Tensor => compare('Equal', a, b);
export const less = (a: Tensor, b: Operand): Tensor => compare('Less', a, b);
export const greater = (a: Tensor, b: Operand): Tensor => compare('Greater', a, b);

/** where(cond, a, b): a where cond holds, else b. Gradient flows to a and b, masked. */
export function where(cond: Tensor, x: Operand, y: Operand): Tensor {
  const g = cond.graph;
  if (cond.dtype !== 'bool') throw new TypeError(`Where: condition must be bool, got ${cond.dtype}`);
  const ref = typeof x === 'number' ? (typeof y === 'number' ? undefined : y) : x;
  const a = lift(g, x, ref);
  const b = lift(g, y, ref);
  if (a.dtype !== b.dtype) throw new TypeError(`Where: branch dtypes differ (${a.dtype} and ${b.dtype})`);
  const shape = broadcastShapes('Where', broadcastShapes('Where', cond.shape, a.shape), b.shape);
  return g.addNode({
    op: 'Where',
    inputs: [cond, a, b],
    outputs: [{ shape, dtype: a.dtype }],
    gradient: ([gy]) => [
      null,
      () => unbroadcast(where(cond, gy!, 0), a.shape),
      () => unbroadcast(where(cond, 0, gy!), b.shape),
    ],
  })[0]!;
}

const ONNX_TYPE: Record<DType, number> = { float32: 1, int64: 7, bool: 9 };

/** Cast between dtypes; differentiable only float32 → float32 (identity). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return x.graph.addNode({ op: 'Cast', inputs: [x], outputs: [{ shape: x.shape, dtype }], attrs: { to: ONNX_TYPE[dtype] } })[0]!;
}

export function identity(x: Tensor): Tensor {
  return x.graph.addNode({
    op: 'Identity',
    inputs: [x],
    outputs: [{ shape: x.shape, dtype: x.dtype }],
    gradient: ([gy]) => [() => gy!],
  })[0]!;
}

/** The value of x, seen by autodiff as a constant (PyTorch's `detach`). */
export function stopGradient(x: Tensor): Tensor {
  return x.graph.addNode({
    op: 'Identity',
    inputs: [x],
    outputs: [{ shape: x.shape, dtype: x.dtype }],
    stopsGradient: true,
  })[0]!;
}

/** Mask multiply used by rules: gy·[cond]. */
export function maskGrad(gy: Tensor, cond: Tensor): Tensor {
  if (cond.dtype !== 'bool') throw new TypeError(`maskGrad: expected bool mask, got ${cond.dtype}${formatShape(cond.shape)}`);
  return mul(gy, cast(cond, 'float32'));
}

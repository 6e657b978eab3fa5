/** Comparisons, casts and identity. Comparisons and casts are not differentiable. Where lives in elementwise.ts. */
import { defineGradient } from '../graph.js';
import { DTYPE_DATA_TYPE } from '../onnx/onnx-schema.js';
import { formatShape, type DType, type Tensor } from '../tensor.js';
import { broadcastShapes } from './broadcast.js';
import { lift, mul, type Operand } from './elementwise.js';
import { McscError } from '../errors.js';

export { where } from './elementwise.js';

function compare(op: 'Equal' | 'Less' | 'Greater', a: Tensor, y: Operand): Tensor {
  const b = lift(a.graph, y, a);
  if (a.dtype !== b.dtype) throw new McscError(op, `operand dtypes differ (${a.dtype} and ${b.dtype})`);
  const shape = broadcastShapes(op, a.shape, b.shape);
  return a.graph.addNode({ op, inputs: [a, b], outputs: [{ shape, dtype: 'bool' }] })[0]!;
}

export const equal = (a: Tensor, b: Operand): Tensor => compare('Equal', a, b);
export const less = (a: Tensor, b: Operand): Tensor => compare('Less', a, b);
export const greater = (a: Tensor, b: Operand): Tensor => compare('Greater', a, b);

/** Cast between dtypes; a cast to the same dtype is x itself, so every Cast node changes the dtype and has no gradient. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return x.graph.addNode({ op: 'Cast', inputs: [x], outputs: [{ shape: x.shape, dtype }], attrs: { to: DTYPE_DATA_TYPE[dtype] } })[0]!;
}

const IDENTITY = defineGradient({
  name: 'Identity',
  op: 'Identity',
  grads: ['input'],
  formula: 'dx = gy',
  backward: ([gy]) => [() => gy!],
});

export function identity(x: Tensor): Tensor {
  return x.graph.addNode({ op: 'Identity', inputs: [x], outputs: [{ shape: x.shape, dtype: x.dtype }], gradient: IDENTITY.with() })[0]!;
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
  if (cond.dtype !== 'bool') throw new McscError('maskGrad', `expected bool mask, got ${cond.dtype}${formatShape(cond.shape)}`);
  return mul(gy, cast(cond, 'float32'));
}

export const LOGIC_RULES = [IDENTITY];

/** Reductions over axes (ReduceSum lives in broadcast.ts, as Expand's adjoint). Gradients broadcast back over the reduced axes. */
import type { Tensor } from '../tensor.js';
import { expand, reduce, reduceSum, reductionRule } from './broadcast.js';
import { add, div, mul } from './elementwise.js';
import { cast, equal } from './logic.js';

export { reduceSum } from './broadcast.js';

const REDUCE_MEAN = reductionRule('ReduceMean', 'dx = expand(gy / count)', (gy, _y, { x, count }) => expand(div(gy, count), x.shape));

/** Mean over axes (all axes when omitted). */
export function reduceMean(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  return reduce(REDUCE_MEAN, x, axes, keepDims);
}

// The gradient is shared equally among tied maxima (PyTorch's `amax`).
const REDUCE_MAX = reductionRule('ReduceMax', 'dx = gy·[x = y] / #ties', (gy, y, { x, ax }) => {
  const isMax = cast(equal(x, y), 'float32');
  const ties = reduceSum(isMax, ax, true);
  return mul(isMax, div(gy, ties));
});

/** Max over axes (all axes when omitted). */
export function reduceMax(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  return reduce(REDUCE_MAX, x, axes, keepDims);
}

const REDUCE_SUM_SQUARE = reductionRule('ReduceSumSquare', 'dx = 2·x·expand(gy)', (gy, _y, { x }) => mul(mul(x, 2), gy));

/** Σx² over axes (all axes when omitted), without materialising x² (one ONNX ReduceSumSquare). */
export function reduceSumSquare(x: Tensor, axes?: readonly number[], keepDims = false): Tensor {
  return reduce(REDUCE_SUM_SQUARE, x, axes, keepDims);
}

/** Σ of all elements of several tensors (used to fold losses). */
export function sumAll(...xs: Tensor[]): Tensor {
  return xs.map((x) => reduceSum(x)).reduce((a, b) => add(a, b));
}

export const REDUCE_RULES = [REDUCE_MEAN, REDUCE_MAX, REDUCE_SUM_SQUARE];

/** Softmax and LogSoftmax over one axis, with hand-written gradients (checked against their composites in the tests). */
import { defineGradient } from '../graph.js';
import { normalizeAxis, type Tensor } from '../tensor.js';
import { exp, mul, sub } from './elementwise.js';
import { reduceSum } from './reduce.js';

const SOFTMAX = defineGradient<number>({
  name: 'Softmax',
  op: 'Softmax',
  grads: ['input'],
  formula: 'dx = y·(gy − Σ gy·y)',
  backward: ([gy], a, node) => {
    const y = node.outputs[0]!;
    return [() => mul(y, sub(gy!, reduceSum(mul(gy!, y), [a], true)))];
  },
});

export function softmax(x: Tensor, axis = -1): Tensor {
  return normalizeOverAxis('Softmax', SOFTMAX, x, axis);
}

const LOG_SOFTMAX = defineGradient<number>({
  name: 'LogSoftmax',
  op: 'LogSoftmax',
  grads: ['input'],
  formula: 'dx = gy − exp(y)·Σ gy',
  backward: ([gy], a, node) => [() => sub(gy!, mul(exp(node.outputs[0]!), reduceSum(gy!, [a], true)))],
});

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return normalizeOverAxis('LogSoftmax', LOG_SOFTMAX, x, axis);
}

/** One Softmax or LogSoftmax node over `axis` (negative counts from the end). */
function normalizeOverAxis(op: 'Softmax' | 'LogSoftmax', rule: typeof SOFTMAX, x: Tensor, axis: number): Tensor {
  const a = normalizeAxis(op, axis, x.rank);
  return x.graph.addNode({
    op,
    inputs: [x],
    outputs: [{ shape: x.shape, dtype: 'float32' }],
    attrs: { axis: a },
    gradient: rule.with(a),
  })[0]!;
}

export const SOFTMAX_RULES = [SOFTMAX, LOG_SOFTMAX];

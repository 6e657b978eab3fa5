/** Softmax and LogSoftmax over one axis. */
import { normalizeAxis, type Tensor } from '../tensor.js';
import { exp, mul, sub } from './elementwise.js';
import { reduceSum } from './reduce.js';

// y = softmax(x): dx = y·(gy − Σ gy·y)
export function softmax(x: Tensor, axis = -1): Tensor {
  const a = normalizeAxis('Softmax', axis, x.rank);
  return x.graph.addNode({
    op: 'Softmax',
    inputs: [x],
    outputs: [{ shape: x.shape, dtype: 'float32' }],
    attrs: { axis: a },
    gradient: ([gy], node) => {
      const y = node.outputs[0]!;
      return [() => mul(y, sub(gy!, reduceSum(mul(gy!, y), [a], true)))];
    },
  })[0]!;
}

// y = log softmax(x): dx = gy − exp(y)·Σ gy
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = normalizeAxis('LogSoftmax', axis, x.rank);
  return x.graph.addNode({
    op: 'LogSoftmax',
    inputs: [x],
    outputs: [{ shape: x.shape, dtype: 'float32' }],
    attrs: { axis: a },
    gradient: ([gy], node) => [() => sub(gy!, mul(exp(node.outputs[0]!), reduceSum(gy!, [a], true)))],
  })[0]!;
}

/** Index-driven ops: Gather (differentiable in its data), ScatterND-add, OneHot and ArgMax (not differentiable). */
import { defineGradient } from '../graph.js';
import { ScatterReduction } from '../onnx/onnx-schema.js';
import { formatShape, normalizeAxis, type Tensor } from '../tensor.js';
import { transpose, zeros, unsqueeze } from './shape.js';
import { McscError } from '../errors.js';

const GATHER = defineGradient<{ x: Tensor; indices: Tensor; axis: number }>({
  name: 'Gather',
  op: 'Gather',
  grads: ['data'],
  formula: 'dx = scatter-add of gy at the indices (ScatterND, reduction add)',
  backward: ([gy], { x, indices, axis: a }) => [
    () => {
      // Move the gathered axis to the front, scatter-add rows, move it back.
      const front = [a, ...x.shape.map((_, i) => i).filter((i) => i !== a)];
      const xFront = front.map((i) => x.shape[i]!);
      const q = indices.rank;
      const gyPerm = [...Array(q).keys()].map((i) => a + i);
      const rest = [...Array(gy!.rank).keys()].filter((i) => i < a || i >= a + q);
      const gyFront = transpose(gy!, [...gyPerm, ...rest]);
      const target = zeros(x.graph, xFront, x.dtype);
      const scattered = scatterNDAdd(target, unsqueeze(indices, -1), gyFront);
      return transpose(
        scattered,
        front.map((_, i) => front.indexOf(i)),
      );
    },
    null,
  ],
});

/** Take entries of x along `axis` at int64 `indices` (ONNX Gather). dx: scatter-add of gy at the indices. */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  if (indices.dtype !== 'int64') throw new McscError('Gather', `indices must be int64, got ${indices.dtype}`);
  const a = normalizeAxis('Gather', axis, x.rank);
  const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return x.graph.addNode({
    op: 'Gather',
    inputs: [x, indices],
    outputs: [{ shape, dtype: x.dtype }],
    attrs: { axis: a },
    gradient: GATHER.with({ x, indices, axis: a }),
  })[0]!;
}

/** data with `updates` added at `indices` (ONNX ScatterND, reduction add). Used by gradient rules. */
export function scatterNDAdd(data: Tensor, indices: Tensor, updates: Tensor): Tensor {
  return data.graph.addNode({
    op: 'ScatterND',
    inputs: [data, indices, updates],
    outputs: [{ shape: data.shape, dtype: data.dtype }],
    attrs: { reduction: ScatterReduction.ADD },
  })[0]!;
}

/** One-hot encoding of int64 labels on a new last axis, float32 {0, 1}. Not differentiable. */
export function oneHot(labels: Tensor, depth: number): Tensor {
  if (labels.dtype !== 'int64') throw new McscError('OneHot', `labels must be int64, got ${labels.dtype}${formatShape(labels.shape)}`);
  const g = labels.graph;
  return g.addNode({
    op: 'OneHot',
    inputs: [labels, g.constant(BigInt64Array.of(BigInt(depth)), [], 'int64'), g.constant([0, 1], [2])],
    outputs: [{ shape: [...labels.shape, depth], dtype: 'float32' }],
    attrs: { axis: -1 },
  })[0]!;
}

/** Index of the maximum along an axis (first on ties, as PyTorch). Not differentiable. */
export function argMax(x: Tensor, axis: number, keepDims = false): Tensor {
  const a = normalizeAxis('ArgMax', axis, x.rank);
  const shape = keepDims ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a);
  return x.graph.addNode({
    op: 'ArgMax',
    inputs: [x],
    outputs: [{ shape, dtype: 'int64' }],
    attrs: { axis: a, keepdims: keepDims ? 1 : 0, select_last_index: 0 },
  })[0]!;
}

export const INDEXING_RULES = [GATHER];

/** Nearest-neighbour resizing of the two spatial axes of NCHW tensors. */
import { nearestIndices } from '../nearest-indices.js';
import { defineGradient } from '../graph.js';
import { formatShape, type Tensor } from '../tensor.js';
import { matmul } from './matmul.js';
import { transpose } from './shape.js';
import { McscError } from '../errors.js';

const RESIZE = defineGradient<{ x: Tensor; size: readonly [number, number] }>({
  name: 'Resize',
  op: 'Resize',
  grads: ['X'],
  formula: 'nearest, fixed sizes: dx = A_hᵀ·gy·A_w with the 0/1 selection matrices of the forward',
  backward: ([gy], { x, size }) => [
    () => {
      const [h, w] = [x.shape[2]!, x.shape[3]!];
      const aH = selectionMatrix(x, nearestIndices(h, size[0], 'torch'), h); // [outH, inH]
      const aW = selectionMatrix(x, nearestIndices(w, size[1], 'torch'), w); // [outW, inW]
      return matmul(matmul(transpose(aH, [1, 0]), gy!), aW);
    },
    null,
    null,
    null,
  ],
});

/**
 * PyTorch's `F.interpolate(x, size, mode='nearest')` (ONNX Resize, asymmetric coordinates, floor): the
 * `'torch'` rule of {@link nearestIndices}, not scipy's order-0 zoom (`zoomLabels` in @mcsc/core is that).
 * Because it is linear with fixed sizes, Y = A_h·X·A_wᵀ with 0/1 matrices, so dX = A_hᵀ·gy·A_w —
 * two MatMuls, exact.
 */
export function resizeNearest(x: Tensor, size: readonly [number, number]): Tensor {
  const [n, c] = x.shape as [number, number, number, number];
  if (x.rank !== 4 || size.some((s) => !Number.isInteger(s) || s <= 0)) {
    throw new McscError('Resize', `expected an NCHW input and a positive [H, W] size, got ${formatShape(x.shape)} → ${formatShape(size)}`);
  }
  const g = x.graph;
  const sizes = g.ints(size); // with axes = [2, 3], so the batch stays dynamic
  return g.addNode({
    op: 'Resize',
    inputs: [x, null, null, sizes],
    outputs: [{ shape: [n, c, size[0], size[1]], dtype: x.dtype }],
    attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor', axes: [2, 3] },
    gradient: RESIZE.with({ x, size }),
  })[0]!;
}

function selectionMatrix(x: Tensor, idx: Int32Array, inSize: number): Tensor {
  const m = new Float32Array(idx.length * inSize);
  idx.forEach((src, o) => (m[o * inSize + src] = 1));
  return x.graph.constant(m, [idx.length, inSize]);
}

export const RESIZE_RULES = [RESIZE];

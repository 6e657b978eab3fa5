/**
 * Two linear layers with a ReLU between them on rows, y = relu(x·W1ᵀ + b1)·W2ᵀ + b2, whose hidden
 * activation h [M, H] is not kept for the backward pass but recomputed there from x (what
 * torch.utils.checkpoint does for a module). The backward pass needs h twice: for the second layer's
 * weight gradient (Σ gyᵀ·h) and for the ReLU's mask (h > 0). Kept, h is the widest tensor of a
 * projection head and lives from the forward pass to the end of the backward pass (MCSC's 1/1 heads:
 * 288,800 sampled points × 256 channels, 282 MiB at the paper preset); recomputed, it costs one more
 * Gemm and ReLU per call, and lives only while the two gradients that need it are built.
 *
 * Two rules share one recomputation: `Gemm.recomputedInput` on the second layer (its A gradient is the
 * ordinary one, gy·W2; its B gradient reads the recomputed h) and `Relu.recomputed` on the ReLU (the
 * mask from the recomputed h). The recomputation waits for the second layer's output gradient
 * ({@link after}), so no scheduler runs it during the forward pass.
 */
import { defineGradient } from '../graph.js';
import { McscError } from '../errors.js';
import { formatShape, type Tensor } from '../tensor.js';
import { after } from './after.js';
import { relu } from './elementwise.js';
import { greater, where } from './logic.js';
import { gemm } from './matmul.js';
import { reduceSum } from './reduce.js';

/** A linear layer's parameters: weight [out, in] (a 1×1 convolution's [out, in, 1, 1] reshaped), bias [out]. */
export interface LinearLayer {
  readonly weight: Tensor;
  readonly bias: Tensor;
}

/** The hidden activation, rebuilt once, the first time a rule asks for it, after `dep` exists. */
interface Recomputation {
  readonly rebuild: (dep: Tensor) => Tensor;
  hidden?: Tensor;
}

const recomputed = (r: Recomputation, dep: Tensor): Tensor => {
  r.hidden ??= r.rebuild(dep);
  return r.hidden;
};

const RELU_RECOMPUTED = defineGradient<Recomputation>({
  name: 'Relu.recomputed',
  op: 'Relu',
  grads: ['X'],
  formula: 'dx = gy·[h > 0], h = relu(x) recomputed in the backward pass (ops/recomputed-mlp.ts)',
  backward: ([gy], r) => [() => where(greater(recomputed(r, gy!), 0), gy!, 0)],
});

const GEMM_RECOMPUTED_INPUT = defineGradient<{ r: Recomputation; weight: Tensor }>({
  name: 'Gemm.recomputedInput',
  op: 'Gemm',
  grads: ['A', 'B', 'C'],
  formula: 'y = h·Wᵀ + b: dh = gy·W, dW = gyᵀ·h (h recomputed in the backward pass, ops/recomputed-mlp.ts), db = Σ_rows gy',
  backward: ([gy], { r, weight }) => [
    () => gemm(gy!, weight, null),
    () => gemm(gy!, recomputed(r, gy!), null, { transA: true }),
    () => reduceSum(gy!, [0]),
  ],
});

export const RECOMPUTED_MLP_RULES = [RELU_RECOMPUTED, GEMM_RECOMPUTED_INPUT];

/** relu(x·W1ᵀ + b1)·W2ᵀ + b2 for rows x [M, C_in] → [M, C_out], the hidden activation recomputed in the backward pass. */
export function linearReluLinear(x: Tensor, first: LinearLayer, second: LinearLayer): Tensor {
  const check = (name: string, t: Tensor, shape: readonly number[]) => {
    if (t.dtype !== 'float32' || t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      throw new McscError('linearReluLinear', `${name} must be float32${formatShape(shape)}, got ${t.toString()}`);
  };
  const [m, cin] = x.shape as [number, number];
  const hiddenWidth = first.weight.shape[0]!;
  const out = second.weight.shape[0]!;
  check('x', x, [m, cin]);
  check('first.weight', first.weight, [hiddenWidth, cin]);
  check('first.bias', first.bias, [hiddenWidth]);
  check('second.weight', second.weight, [out, hiddenWidth]);
  check('second.bias', second.bias, [out]);
  const g = x.graph;
  const r: Recomputation = { rebuild: (dep) => relu(gemm(after(x, dep), first.weight, first.bias, { transB: true })) };
  const [h] = g.addNode({
    op: 'Relu',
    inputs: [gemm(x, first.weight, first.bias, { transB: true })],
    outputs: [{ shape: [m, hiddenWidth], dtype: 'float32' }],
    gradient: RELU_RECOMPUTED.with(r),
  });
  return g.addNode({
    op: 'Gemm',
    inputs: [h!, second.weight, second.bias],
    outputs: [{ shape: [m, out], dtype: 'float32' }],
    attrs: { transA: 0, transB: 1, alpha: { float: 1 }, beta: { float: 1 } },
    gradient: GEMM_RECOMPUTED_INPUT.with({ r, weight: second.weight }),
  })[0]!;
}

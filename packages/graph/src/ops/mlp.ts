/**
 * Two linear layers with an activation between them, applied to each row (or token) alone:
 * y = act(x·W1ᵀ + b1)·W2ᵀ + b2, act ReLU or GELU. Its hidden activation [M, H] is not kept for the
 * backward pass but recomputed there from x (what torch.utils.checkpoint does for a module), which x's
 * own layer keeps anyway for W1's gradient. The backward pass needs the hidden layer twice: W2's
 * gradient (Σ gyᵀ·h) and the activation's derivative at the pre-activation p. Kept, p and h are the
 * widest tensors of the block (H = 4C in a Swin MLP, 256 channels in MCSC's projection heads) and live
 * from the forward pass to the end of the backward pass; recomputed, they cost one more x·W1ᵀ and
 * activation per call and live only while the gradients that need them are built.
 *
 * Two rules share one recomputation: `Gemm.recomputedInput` on the second layer (its A gradient is the
 * ordinary one, gy·W2; its B gradient reads the recomputed h) and, on the activation, `Relu.recomputed`
 * (the mask h > 0) or `Mul.geluRecomputed` (GELU′ at the recomputed p). The recomputation waits for the
 * second layer's output gradient ({@link after}), so no scheduler runs it during the forward pass.
 */
import { defineGradient } from '../graph.js';
import { McscError } from '../errors.js';
import { formatShape, type Tensor } from '../tensor.js';
import { after } from './after.js';
import { rebuildDeps, rebuilt } from './recompute-order.js';
import { gelu, geluWithRule, mul, relu, reluWithRule, selectPositive, twiceGeluSlope } from './elementwise.js';
import { gemm } from './matmul.js';
import { reduceSum } from './reduce.js';
import { reshape } from './shape.js';

/** A linear layer's parameters: weight [out, in] (a 1×1 convolution's [out, in, 1, 1] reshaped), bias [out]. */
export interface LinearLayer {
  readonly weight: Tensor;
  readonly bias: Tensor;
}

export type MlpActivation = 'relu' | 'gelu';

/** The pre-activation and the hidden layer, rebuilt once, the first time a rule asks, after `dep` exists. */
interface Recomputation {
  readonly rebuild: (dep: Tensor) => { pre: Tensor; hidden: Tensor };
  value?: { pre: Tensor; hidden: Tensor };
}

const recomputed = (r: Recomputation, dep: Tensor) => {
  r.value ??= r.rebuild(dep);
  return r.value;
};

const RELU_RECOMPUTED = defineGradient<Recomputation>({
  name: 'Relu.recomputed',
  op: 'Relu',
  grads: ['X'],
  formula: 'dx = gy·[h > 0], h = relu(x) recomputed in the backward pass (ops/mlp.ts)',
  backward: ([gy], r) => [() => rebuilt(selectPositive(recomputed(r, gy!).hidden, gy!, gy!.graph.scalar(0)))],
});

const MUL_GELU_RECOMPUTED = defineGradient<Recomputation>({
  name: 'Mul.geluRecomputed',
  op: 'Mul',
  grads: ['A', 'B'],
  formula: 'as Mul.gelu, with x recomputed in the backward pass (ops/mlp.ts): dA = gy·2·GELU′(x); B: none (stop-gradient)',
  backward: ([gy], r) => [() => rebuilt(mul(gy!, twiceGeluSlope(recomputed(r, gy!).pre))), null],
});

const GEMM_RECOMPUTED_INPUT = defineGradient<{ r: Recomputation; weight: Tensor }>({
  name: 'Gemm.recomputedInput',
  op: 'Gemm',
  grads: ['A', 'B', 'C'],
  formula: 'y = h·Wᵀ + b: dh = gy·W, dW = gyᵀ·h (h recomputed in the backward pass, ops/mlp.ts), db = Σ_rows gy',
  backward: ([gy], { r, weight }) => [
    () => gemm(gy!, weight, null),
    () => gemm(gy!, recomputed(r, gy!).hidden, null, { transA: true }),
    () => reduceSum(gy!, [0]),
  ],
});

export const MLP_RULES = [RELU_RECOMPUTED, MUL_GELU_RECOMPUTED, GEMM_RECOMPUTED_INPUT];

/**
 * act(x·W1ᵀ + b1)·W2ᵀ + b2 on the last axis of x [..., C_in] → [..., C_out] (PyTorch: Linear,
 * activation, Linear), the hidden layer recomputed in the backward pass. `activation` default 'relu';
 * 'gelu' is the exact (erf) GELU of `gelu`. `recompute: false` keeps the hidden layer instead (the
 * same nodes with their ordinary gradients: the same values, more memory, one product less per call).
 */
export function mlp(
  x: Tensor,
  first: LinearLayer,
  second: LinearLayer,
  activation: MlpActivation = 'relu',
  { recompute = true }: { recompute?: boolean } = {},
): Tensor {
  const cin = x.shape[x.rank - 1]!;
  const hiddenWidth = first.weight.shape[0]!;
  const out = second.weight.shape[0]!;
  const check = (name: string, t: Tensor, shape: readonly number[]) => {
    if (t.dtype !== 'float32' || t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      throw new McscError('mlp', `${name} must be float32${formatShape(shape)}, got ${t.toString()}`);
  };
  if (x.dtype !== 'float32' || x.rank < 2)
    throw new McscError('mlp', `x must be a float32 tensor [..., C_in] of rank ≥ 2, got ${x.toString()}`);
  check('first.weight', first.weight, [hiddenWidth, cin]);
  check('first.bias', first.bias, [hiddenWidth]);
  check('second.weight', second.weight, [out, hiddenWidth]);
  check('second.bias', second.bias, [out]);
  if (activation !== 'relu' && activation !== 'gelu')
    throw new McscError('mlp', `activation must be 'relu' or 'gelu', got '${activation}'`);
  const g = x.graph;
  const rows = x.rank === 2 ? x : reshape(x, [-1, cin]); // a view: tokens [B, L, C] as rows [B·L, C]
  const m = rows.shape[0]!;
  const firstLayer = (weight: Tensor) => gemm(rows, weight, first.bias, { transB: true });
  const act = activation === 'relu' ? relu : gelu;
  const r: Recomputation = {
    // waits through the weight, not x: `after` makes a pass over what it passes, and W1 is the small operand
    rebuild: (dep) => {
      const pre = firstLayer(after(first.weight, ...rebuildDeps(dep)));
      return { pre, hidden: act(pre) };
    },
  };
  const pre = firstLayer(first.weight);
  const y = recompute
    ? g.addNode({
        op: 'Gemm',
        inputs: [
          activation === 'relu' ? reluWithRule(pre, RELU_RECOMPUTED.with(r)) : geluWithRule(pre, MUL_GELU_RECOMPUTED.with(r)),
          second.weight,
          second.bias,
        ],
        outputs: [{ shape: [m, out], dtype: 'float32' }],
        attrs: { transA: 0, transB: 1, alpha: { float: 1 }, beta: { float: 1 } },
        gradient: GEMM_RECOMPUTED_INPUT.with({ r, weight: second.weight }),
      })[0]!
    : gemm(act(pre), second.weight, second.bias, { transB: true });
  // −1 for the leading axis: a model may run with another batch than it was built with (exported models)
  return x.rank === 2 ? y : reshape(y, [-1, ...x.shape.slice(1, -1), out]);
}

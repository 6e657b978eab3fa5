/** BatchNorm (training and eval) and LayerNorm, with hand-written gradients (ENGINE-NOTES recipes). */
import { defineGradient, type GradientRule } from '../graph.js';
import { formatShape, normalizeAxis, type Tensor } from '../tensor.js';
import { add, div, mul, neg, pow, sub } from './elementwise.js';
import { stopGradient } from './logic.js';
import { reduceMean, reduceSum, reduceSumSquare } from './reduce.js';
import { reshape } from './shape.js';
import { McscError } from '../errors.js';

export interface BatchNormParams {
  weight: Tensor;
  bias: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
  /** int64 counter kept for PyTorch state_dict compatibility; incremented in training graphs. */
  numBatchesTracked?: Tensor;
}

export interface BatchNormOptions {
  /** Weight of the new batch statistic in the running average (PyTorch's convention); default 0.1. */
  momentum?: number;
  eps?: number;
}

/**
 * PyTorch's `BatchNorm2d` over x [N, C, H, W]. Training graphs normalise with the batch's mean and
 * biased variance and update the running statistics with the unbiased variance (n/(n−1)), as
 * PyTorch does; eval graphs use the running statistics.
 */
export function batchNorm2d(x: Tensor, bn: BatchNormParams, opts: BatchNormOptions = {}): Tensor {
  const { momentum = 0.1, eps = 1e-5 } = opts;
  const c = x.shape[1];
  for (const t of [bn.weight, bn.bias, bn.runningMean, bn.runningVar]) {
    if (x.rank !== 4 || t.rank !== 1 || t.shape[0] !== c) {
      throw new McscError(
        'BatchNormalization',
        `input ${formatShape(x.shape)} needs per-channel [${c}] parameters, got ${t.name} ${formatShape(t.shape)}`,
      );
    }
  }
  const g = x.graph;
  if (!g.training) return normalize(x, bn.weight, bn.bias, bn.runningMean, bn.runningVar, eps, false);

  const axes = [0, 2, 3];
  const count = x.size / c!;
  const xs = stopGradient(x); // batch statistics enter through the node's own gradient rule
  const mean = reduceMean(xs, axes);
  const centered = sub(xs, reshape(mean, [1, -1, 1, 1]));
  const variance = reduceMean(mul(centered, centered), axes); // two-pass (stable); Mul, not Pow: faster
  const y = normalize(x, bn.weight, bn.bias, mean, variance, eps, true);
  // States are never differentiated (only parameters are), so they need no stopGradient here.
  const unbiasedMomentum = (momentum * count) / Math.max(count - 1, 1);
  g.updateState(bn.runningMean, add(mul(bn.runningMean, 1 - momentum), mul(mean, momentum)));
  g.updateState(bn.runningVar, add(mul(bn.runningVar, 1 - momentum), mul(variance, unbiasedMomentum)));
  if (bn.numBatchesTracked) g.updateState(bn.numBatchesTracked, add(bn.numBatchesTracked, 1));
  return y;
}

interface BatchNormContext {
  x: Tensor;
  gamma: Tensor;
  mean: Tensor;
  variance: Tensor;
  eps: number;
}

/**
 * Gradients of one fused BatchNormalization node, with r = (σ² + ε)^−½, x̂ = (x − μ)·r, M = N·H·W
 * and sums over N, H, W:
 *   dβ = Σ gy;  dγ = Σ gy·x̂ = r·(Σ gy·x − μ·Σ gy)
 *   batch statistics: dx = γr·(gy − (dβ + x̂·dγ)/M), folded into per-channel a·gy + b·x + c
 *   fixed statistics: dx = γr·gy
 * so the backward pass costs two full-size products and two additions.
 */
function batchNormRule(batchStats: boolean): GradientRule<BatchNormContext> {
  return defineGradient<BatchNormContext>({
    name: batchStats ? 'BatchNormalization.batchStats' : 'BatchNormalization',
    op: 'BatchNormalization',
    grads: ['X', 'scale', 'B'],
    formula: batchStats
      ? 'batch statistics (training): dx = γr·(gy − (Σ gy + x̂·Σ gy·x̂)/M), dγ = Σ gy·x̂, dβ = Σ gy; r = (σ² + ε)^−½, x̂ = (x − μ)·r'
      : 'fixed (running) statistics: dx = γr·gy, dγ = Σ gy·x̂, dβ = Σ gy; r = (σ² + ε)^−½, x̂ = (x − μ)·r',
    backward: ([gy], { x, gamma, mean, variance, eps }) => {
      const axes = [0, 2, 3];
      const m = x.size / x.shape[1]!;
      const perChannel = (t: Tensor) => reshape(t, [1, -1, 1, 1]);
      const once = <T>(f: () => T) => {
        let v: T | undefined;
        return () => (v ??= f());
      };
      const r = once(() => pow(add(variance, eps), -0.5));
      const dBeta = once(() => reduceSum(gy!, axes));
      const dGamma = once(() => mul(r(), sub(reduceSum(mul(gy!, x), axes), mul(mean, dBeta()))));
      return [
        () => {
          const k = mul(gamma, r());
          if (!batchStats) return mul(gy!, perChannel(k));
          const kOverM = div(k, m);
          const b = neg(mul(kOverM, mul(r(), dGamma())));
          const c = mul(kOverM, sub(mul(mul(r(), dGamma()), mean), dBeta()));
          return add(add(mul(gy!, perChannel(k)), mul(x, perChannel(b))), perChannel(c));
        },
        dGamma,
        dBeta,
        null,
        null,
      ];
    },
  });
}

const BATCH_NORM = batchNormRule(false);
const BATCH_NORM_BATCH_STATS = batchNormRule(true);

/** One fused BatchNormalization node (inference form) given the statistics to use; see the rules above. */
function normalize(x: Tensor, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor, eps: number, batchStats: boolean): Tensor {
  return x.graph.addNode({
    op: 'BatchNormalization',
    inputs: [x, gamma, beta, mean, variance],
    outputs: [{ shape: x.shape, dtype: 'float32' }],
    attrs: { epsilon: { float: eps } },
    gradient: (batchStats ? BATCH_NORM_BATCH_STATS : BATCH_NORM).with({ x, gamma, mean, variance, eps }),
  })[0]!;
}

const LAYER_NORM = defineGradient<{ x: Tensor; gamma: Tensor; normAxes: number[]; leadAxes: number[]; eps: number }>({
  name: 'LayerNormalization',
  op: 'LayerNormalization',
  grads: ['X', 'Scale', 'B'],
  formula:
    "with g = gy·γ: dx = r·(g − mean(g) − x̂·mean(g·x̂)), dγ = Σ gy·x̂, dβ = Σ gy over the leading axes; x̂ = (x − μ)·r from the node's Mean and InvStdDev outputs",
  backward: ([gy], { x, gamma, normAxes, leadAxes, eps }, node) => {
    // Training graphs read μ and r = (σ² + ε)^−½ from the forward node's own Mean and InvStdDev outputs
    // (no second pass over x); a graph without them recomputes both. Built once for dx and dγ.
    let cached: { r: Tensor; xhat: Tensor } | undefined;
    const stats = () => {
      if (cached) return cached;
      const [, saved, inv] = node.outputs;
      const mean = saved ?? reduceMean(x, normAxes, true);
      const r = inv ?? pow(add(reduceMean(pow(sub(x, mean), 2), normAxes, true), eps), -0.5);
      cached = { r, xhat: mul(sub(x, mean), r) };
      return cached;
    };
    return [
      () => {
        const { r, xhat } = stats();
        const gg = mul(gy!, gamma);
        return mul(r, sub(sub(gg, reduceMean(gg, normAxes, true)), mul(xhat, reduceMean(mul(gg, xhat), normAxes, true))));
      },
      () => sumLeading(mul(gy!, stats().xhat), leadAxes),
      () => sumLeading(gy!, leadAxes),
    ];
  },
});

/**
 * PyTorch's `LayerNorm` over the trailing axes from `axis` (default: the last), ONNX LayerNormalization.
 * With g = gy·γ: dx = r·(g − mean(g) − x̂·mean(g·x̂)); dγ = Σ gy·x̂ and dβ = Σ gy over the leading axes.
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, opts: { axis?: number; eps?: number } = {}): Tensor {
  const { eps = 1e-5 } = opts;
  const axis = normalizeAxis('LayerNormalization', opts.axis ?? -1, x.rank);
  const normShape = x.shape.slice(axis);
  if (gamma.shape.join() !== normShape.join() || beta.shape.join() !== normShape.join()) {
    throw new McscError(
      'LayerNormalization',
      `input ${formatShape(x.shape)} normalised from axis ${axis} needs γ, β ${formatShape(normShape)}, got ${formatShape(gamma.shape)} and ${formatShape(beta.shape)}`,
    );
  }
  const normAxes = normShape.map((_, i) => axis + i);
  const leadAxes = x.shape.slice(0, axis).map((_, i) => i);
  // Training graphs also take the node's Mean and InvStdDev outputs ([lead…, 1…]) for the gradient.
  const stats = { shape: [...x.shape.slice(0, axis), ...normShape.map(() => 1)], dtype: 'float32' as const };
  return x.graph.addNode({
    op: 'LayerNormalization',
    inputs: [x, gamma, beta],
    outputs: [{ shape: x.shape, dtype: 'float32' }, ...(x.graph.training ? [stats, stats] : [])],
    attrs: { axis, epsilon: { float: eps } },
    gradient: LAYER_NORM.with({ x, gamma, normAxes, leadAxes, eps }),
  })[0]!;
}

function sumLeading(t: Tensor, axes: number[]): Tensor {
  return axes.length === 0 ? t : reduceSum(t, axes);
}

/**
 * The gradient of y = x / n (n = √(Σx² + eps²) over `axis`) on its Div node, from the output and n alone:
 * dx = (gy − y·Σ(gy·y)) / n, both paths (through x and through n) in one. The norm enters through a
 * stop-gradient, so autodiff never walks Σx², whose backward would keep x alive: the projection heads'
 * last layer output (as large as the normalised embedding) dies after the forward pass.
 */
const DIV_L2_NORMALIZE = defineGradient<{ axis: number }>({
  name: 'Div.l2Normalize',
  op: 'Div',
  grads: ['A', 'B'],
  formula: 'dA = (gy − y·Σ_axis(gy·y)) / n (y the output, n = B = √(Σx² + eps²)); B: none (stop-gradient, its path is in dA)',
  backward: ([gy], { axis }, node) => [
    () => {
      const y = node.outputs[0]!;
      return div(sub(gy!, mul(y, reduceSum(mul(gy!, y), [axis], true))), node.inputs[1]!);
    },
    null,
  ],
});

/**
 * x / √(Σx² + eps²) over one axis, from differentiable primitives, its gradient from the output
 * ({@link DIV_L2_NORMALIZE}). Equals PyTorch's `F.normalize` (x / max(‖x‖₂, eps)) wherever ‖x‖₂ ≫ eps,
 * and stays smooth at 0.
 */
export function l2Normalize(x: Tensor, axis = 1, eps = 1e-12): Tensor {
  const a = normalizeAxis('l2Normalize', axis, x.rank);
  // Σx² without an x² tensor as large as x (the contrast's point table: 141 MiB at `paper`)
  const norm = pow(add(reduceSumSquare(x, [a], true), eps * eps), 0.5);
  return x.graph.addNode({
    op: 'Div',
    inputs: [x, stopGradient(norm)],
    outputs: [{ shape: x.shape, dtype: x.dtype }],
    gradient: DIV_L2_NORMALIZE.with({ axis: a }),
  })[0]!;
}

export const NORM_RULES = [BATCH_NORM, BATCH_NORM_BATCH_STATS, LAYER_NORM, DIV_L2_NORMALIZE];

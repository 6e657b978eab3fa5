/**
 * The class-balanced supervised contrastive loss (docs/method/losses.md) as graph ops, for a batch of groups at once,
 * with a point mask, bounded-memory backward and exact agreement with the float64 reference
 * (losses/supcon.ts). Over the N points of one group (features f_i, labels y_i, mask m_i ∈ {0, 1}):
 *
 *   s_ij = f_i·f_j / τ,   n_c = Σ_j m_j [y_j = c],   |P(i)| = n_{y_i} − m_i
 *   D_i  = Σ_{j≠i} m_j exp(s_ij) / w_ij,   w_ij = n_{y_j} − [y_j = y_i]
 *        = Σ_c S_ic·a_ic  with  S = E₀·(Y⊙m) (E₀ = exp(s) with a zero diagonal),
 *          a_ic = 1/n_c for c ≠ y_i and 1/(n_c − 1) for c = y_i
 *   Σ_{j∈P(i)} s_ij = (f_i·M_{y_i} − m_i·|f_i|²)/τ  with the class sums M_c = Σ_j m_j [y_j = c] f_j
 *   ℓ_i  = −(Σ_{j∈P(i)} s_ij − |P(i)|·log(D_i + 1e-6)) / (|P(i)| + 1e-6)   (0 when |P(i)| = 0)
 *   L    = Σ_i m_i ℓ_i / Σ_i m_i   (0 when no point is active)
 *
 * Masked points (m = 0) contribute nothing to any sum, count or mean, so the result is the reference's
 * on the active points alone. Only the exp-similarity matrix is N×N; the positives use the K class sums.
 * `classBalanced: false` is the plain SupCon denominator D_i = Σ_{j≠i} m_j exp(s_ij) (w_ij = 1), the
 * "without class balancing" ablation; everything else is unchanged.
 *
 * Memory: by default the N×N matrices are not kept for the backward pass, which recomputes exp(s)
 * from the features (one extra N×N·C product) and uses the symmetry of s (see {@link classExpSums});
 * block-con.ts, which builds each chunk's backward pass right after recomputing its forward pass,
 * keeps the masked exp(s) E₀ instead (`recompute: false`). The backward pass's rules are registered in
 * the gradient table: `MatMul.symmetricSimilarity`, `Exp.recomputedSimilarity`, `Mul.maskedExp`,
 * `Exp.inMaskedExp`, `MatMul.symmetrisedClassSums`.
 */
import {
  add,
  cast,
  concat,
  defineGradient,
  div,
  equal,
  exp,
  expand,
  greater,
  less,
  log,
  matmul,
  mul,
  neg,
  oneHot,
  reduceSum,
  registerGradientRules,
  reshape,
  slice,
  stopGradient,
  sub,
  transpose,
  transposeLast,
  where,
  zeros,
  type Tensor,
} from '@mcsc/graph';
import { invalidValue } from '../internal/errors.js';

/** Per-group results of {@link groupSupCon}, each with the leading group axis G. */
export interface GroupSupConParts {
  /** L per group, float32 `[G]`. */
  readonly losses: Tensor;
  /** n_c per group (active points of class c), float32 `[G, K]`, no gradient. */
  readonly counts: Tensor;
  /** 1 where the group has an active point of a class c ≥ 1 (foreground), else 0; float32 `[G]`. */
  readonly foreground: Tensor;
}

/**
 * The loss of each of G groups of N points.
 *
 * @param features float32 `[G, N, C]` (unit length over C expected; see the exp overflow note in
 *   losses/supcon.ts: float32 exp overflows above s ≈ 88).
 * @param labels int64 `[G, N]`, values in `[0, K)`.
 * @param mask float32 `[N]` or `[G, N]` of 0/1, or null for all points active.
 * @param offDiagonal float32 `[N, N]`, 0 on the diagonal and 1 elsewhere, from {@link offDiagonalMask} (shared between chunks).
 * @param recompute true (default): the backward pass recomputes exp(s) from the features and keeps no
 *   N×N tensor of the forward pass; false: it reuses the forward's masked exp(s), for a caller that builds the
 *   forward and backward of a chunk together (block-con.ts) and so would recompute it anyway.
 */
export function groupSupCon(
  features: Tensor,
  labels: Tensor,
  mask: Tensor | null,
  temperature: number,
  numClasses: number,
  offDiagonal: Tensor,
  classBalanced = true,
  recompute = true,
): GroupSupConParts {
  const [groups, n] = features.shape as [number, number, number];
  const y = oneHot(stopGradient(labels), numClasses); // [G, N, K]
  const m = mask === null ? null : stopGradient(reshape(mask, [mask.rank === 1 ? 1 : groups, n]));
  const ym = m === null ? y : mul(y, reshape(m, [m.shape[0]!, n, 1])); // Y⊙m
  const counts = reduceSum(ym, [1]); // n_c, [G, K]
  const countsRow = reshape(counts, [groups, 1, numClasses]);
  const atLeastOne = (t: Tensor): Tensor => where(less(t, 1), 1, t);
  // a_ic = 1/n_c off the own class, 1/(n_c − 1) on it (guards only touch classes with no such j).
  const weight = stopGradient(add(mul(sub(1, y), div(1, atLeastOne(countsRow))), mul(y, div(1, atLeastOne(sub(countsRow, 1))))));

  const perClassExp = classExpSums(features, temperature, offDiagonal, ym, recompute); // S = E₀·(Y⊙m), [G, N, K]
  const denominator = reduceSum(classBalanced ? mul(perClassExp, weight) : perClassExp, [2]); // D_i, [G, N]

  const classSums = matmul(transpose(ym, [0, 2, 1]), features); // M, [G, K, C]
  const ownClassDot = reduceSum(mul(matmul(features, transposeLast(classSums)), y), [2]); // f_i·M_{y_i}
  const selfDot = reduceSum(mul(features, features), [2]); // |f_i|²
  const positives = stopGradient(sub(reduceSum(mul(y, countsRow), [2]), m ?? 1)); // |P(i)|, [G, N]
  const hasPositive = greater(positives, 0.5);
  const positiveSum = where(hasPositive, div(sub(ownClassDot, m === null ? selfDot : mul(selfDot, m)), temperature), 0);
  const perPoint = neg(div(sub(positiveSum, mul(positives, log(add(denominator, 1e-6)))), add(positives, 1e-6)));

  const active = m === null ? n : reduceSum(m, [1]); // [1] or [G]
  const activeSafe = typeof active === 'number' ? active : where(less(active, 1), 1, active);
  const summed = reduceSum(m === null ? perPoint : mul(perPoint, m), [1]);
  const losses = div(summed, activeSafe);

  const foregroundCount = numClasses > 1 ? reduceSum(slice(counts, { axes: [1], starts: [1], ends: [numClasses] }), [1]) : null;
  const foreground = foregroundCount === null ? zeros(features.graph, [groups]) : cast(greater(foregroundCount, 0), 'float32');
  return { losses, counts, foreground };
}

/**
 * The `foreground` of {@link groupSupCon} from the labels and the point mask alone, without its one-hot
 * counts (a float per point, not K): 1 where group g has an active point of a class c ≥ 1, else 0;
 * float32 `[G]`. The same flags: Σ_{c≥1} n_c = Σ_i m_i [y_i ≥ 1], both exact integer sums.
 *
 * @param labels int64 `[G, N]`.
 * @param mask float32 `[N]` or `[G, N]` of 0/1, or null for all points active.
 */
export function groupForeground(labels: Tensor, mask: Tensor | null, numClasses: number): Tensor {
  const [groups, n] = labels.shape as [number, number];
  if (numClasses <= 1) return zeros(labels.graph, [groups]);
  const isForeground = greater(cast(stopGradient(labels), 'float32'), 0.5); // y_i ≥ 1, [G, N]
  const active = where(isForeground, mask === null ? 1 : stopGradient(reshape(mask, [mask.rank === 1 ? 1 : groups, n])), 0);
  return cast(greater(reduceSum(active, [1]), 0), 'float32');
}

/**
 * float32 `[N, N]`: 0 on the diagonal, 1 elsewhere, built from two small index constants (onnxruntime
 * folds it into one constant). A multiply by it is exact (exp(s) is finite) and cheaper than a Where.
 */
export function offDiagonalMask(g: Tensor['graph'], n: number): Tensor {
  const idx = Array.from({ length: n }, (_, i) => i);
  return sub(1, cast(equal(reshape(g.ints(idx), [n, 1]), reshape(g.ints(idx), [1, n])), 'float32'));
}

/**
 * S = E₀·Ym with E₀ = exp(F·Fᵀ/τ) ⊙ O (O: zero diagonal), `[G, N, K]`, and a backward pass that touches
 * each N×N buffer as few times as possible: one N×N·2K product and one N×N·C product (dF), plus, with
 * `recompute`, one N×N·C product that recomputes exp(s) so that no N×N tensor outlives the forward pass.
 *
 * The chain F → s → E → E₀ → S is private, so its nodes may pass a *symmetrised* gradient along
 * (rules {@link CLASS_SUMS}, {@link EXP_RECOMPUTED}, {@link SIMILARITY}): with A = dS·Ymᵀ the true dE₀,
 * the S node hands back A + Aᵀ = [dS, Ym]·[Ym, dS]ᵀ (one product of inner size 2K), the mask and Exp
 * nodes multiply by O and by exp(s) (O and E are symmetric), which yields ds + dsᵀ, and the s node then
 * returns (ds + dsᵀ)·F, the gradient of F/τ for s = (F/τ)·Fᵀ (the scaling node adds the 1/τ): dF =
 * (ds + dsᵀ)·F/τ in one product instead of ds·F/τ + dsᵀ·F/τ. No transpose of an N×N buffer. The
 * recomputation is written F·(F/τ)ᵀ, the forward (F/τ)·Fᵀ, so onnxruntime's common-subexpression
 * elimination cannot merge the two and keep the forward alive.
 */
function classExpSums(features: Tensor, temperature: number, offDiagonal: Tensor, ym: Tensor, recompute: boolean): Tensor {
  const g = features.graph;
  const [groups, n] = features.shape as [number, number, number];
  const scaled = mul(features, 1 / temperature);
  const similarity = g.addNode({
    op: 'MatMul',
    inputs: [scaled, transposeLast(stopGradient(features))],
    outputs: [{ shape: [groups, n, n], dtype: 'float32' }],
    gradient: SIMILARITY.with({ features }),
  })[0]!;
  const expSim = g.addNode({
    op: 'Exp',
    inputs: [similarity],
    outputs: [{ shape: similarity.shape, dtype: 'float32' }],
    gradient: recompute ? EXP_RECOMPUTED.with({ features, scaled }) : EXP_IN_MASK.with(),
  })[0]!;
  // Without recomputation the mask's rule multiplies by E₀ = E ⊙ O itself, so the backward pass keeps
  // one N×N tensor (E₀, not E and E₀) and makes one N×N pass fewer; bit-identical to gy ⊙ O ⊙ E.
  const masked = recompute
    ? mul(expSim, offDiagonal)
    : g.addNode({
        op: 'Mul',
        inputs: [expSim, offDiagonal],
        outputs: [{ shape: similarity.shape, dtype: 'float32' }],
        gradient: MASKED_EXP.with(),
      })[0]!;
  const k = ym.shape[2]!;
  return g.addNode({
    op: 'MatMul',
    inputs: [masked, ym],
    outputs: [{ shape: [groups, n, k], dtype: 'float32' }],
    gradient: CLASS_SUMS.with({ ym, shape: [groups, n, k] }),
  })[0]!;
}

/**
 * s = (F/τ)·Fᵀ with the right operand a stop-gradient copy of F: the gradient that reaches s is already
 * symmetrised (ds + dsᵀ, from {@link EXP_RECOMPUTED} or the plain Exp rule fed by {@link CLASS_SUMS}), so
 * d(F/τ) = (ds + dsᵀ)·F covers both operands in one product.
 */
const SIMILARITY = defineGradient<{ features: Tensor }>({
  name: 'MatMul.symmetricSimilarity',
  package: '@mcsc/core',
  op: 'MatMul',
  grads: ['A'],
  formula:
    's = A·Fᵀ with A = F/τ and Fᵀ constant, fed the symmetrised gy = ds + dsᵀ (supcon.ts): dA = gy·F, so dF = (ds + dsᵀ)·F/τ in one product',
  backward: ([gy], { features }) => [() => matmul(gy!, features), null],
});

/** E = exp(s), with exp(s) recomputed from F in the backward pass instead of kept from the forward. */
const EXP_RECOMPUTED = defineGradient<{ features: Tensor; scaled: Tensor }>({
  name: 'Exp.recomputedSimilarity',
  package: '@mcsc/core',
  op: 'Exp',
  grads: ['X'],
  formula: 'E = exp(s), s = F·Fᵀ/τ: dx = gy·exp(F·(F/τ)ᵀ), recomputed (no N×N tensor kept from the forward pass)',
  backward: ([gy], { features, scaled }) => [() => mul(gy!, exp(matmul(features, transposeLast(scaled))))],
});

/**
 * E₀ = E ⊙ O with E = exp(s): hands the Exp node gy ⊙ E₀ = (gy ⊙ O) ⊙ E, the gradient of s, in one
 * pass over the kept E₀ (O is 0/1, so the products are the same floats as the two-pass form).
 */
const MASKED_EXP = defineGradient({
  name: 'Mul.maskedExp',
  package: '@mcsc/core',
  op: 'Mul',
  grads: ['A'],
  formula: 'E₀ = E ⊙ O, E = exp(s), O a 0/1 mask (supcon.ts): hands the Exp node gy ⊙ E₀ = gy ⊙ O ⊙ E, already ds',
  backward: ([gy], _ctx, node) => [() => mul(gy!, node.outputs[0]!), null],
});

/** E = exp(s) feeding {@link MASKED_EXP}: the gradient it receives already carries the factor exp(s). */
const EXP_IN_MASK = defineGradient({
  name: 'Exp.inMaskedExp',
  package: '@mcsc/core',
  op: 'Exp',
  grads: ['X'],
  formula: 'E = exp(s) whose only consumer is Mul.maskedExp (supcon.ts), which already multiplied by exp(s): dx = gy',
  backward: ([gy]) => [() => gy!],
});

/** S = E₀·Ym: hands back the symmetrised dE₀ + dE₀ᵀ (valid because every node up to s is symmetric). */
const CLASS_SUMS = defineGradient<{ ym: Tensor; shape: number[] }>({
  name: 'MatMul.symmetrisedClassSums',
  package: '@mcsc/core',
  op: 'MatMul',
  grads: ['A'],
  formula: 'S = E₀·Ym (Ym constant, E₀ symmetric up to s; supcon.ts): dE₀ + dE₀ᵀ = [gy, Ym]·[Ym, gy]ᵀ, one product of inner size 2K',
  backward: ([dS], { ym, shape }) => {
    const yms = expand(ym, shape);
    return [() => matmul(concat([dS!, yms], 2), transposeLast(concat([yms, dS!], 2))), null];
  },
});

registerGradientRules(SIMILARITY, EXP_RECOMPUTED, MASKED_EXP, EXP_IN_MASK, CLASS_SUMS);

/** Options of the single-batch graph {@link supConLoss}. */
export interface GraphSupConOptions {
  /** K (static: the one-hot depth). */
  numClasses: number;
  /** τ. Default 0.1. */
  temperature?: number;
  /** float32 `[N]` 0/1 mask of the points that take part; default all. */
  mask?: Tensor;
  /** Default true (MCSC); false = plain SupCon denominator (w_ij = 1), the ablation. */
  classBalanced?: boolean;
}

/**
 * The loss over one set of N points (the graph form of the reference `supConLoss`).
 *
 * @param features float32 `[N, C]`.
 * @param labels int64 `[N]`.
 * @returns a float32 scalar tensor.
 */
export function supConLoss(features: Tensor, labels: Tensor, options: GraphSupConOptions): Tensor {
  const fn = 'graphLosses.supConLoss';
  if (features?.dtype !== 'float32' || features.rank !== 2)
    throw invalidValue(fn, 'features', 'must be a float32 tensor [N, C]', describe(features));
  const [n] = features.shape as [number, number];
  if (labels?.dtype !== 'int64' || labels.rank !== 1 || labels.shape[0] !== n)
    throw invalidValue(fn, 'labels', `must be an int64 tensor [${n}]`, describe(labels));
  const temperature = checkTemperature(fn, options.temperature);
  checkClasses(fn, options.numClasses);
  if (options.mask !== undefined && (options.mask.dtype !== 'float32' || options.mask.rank !== 1 || options.mask.shape[0] !== n)) {
    throw invalidValue(fn, 'options.mask', `must be a float32 tensor [${n}]`, describe(options.mask));
  }
  const g = features.graph;
  const parts = groupSupCon(
    reshape(features, [1, ...features.shape]),
    reshape(labels, [1, n]),
    options.mask ?? null,
    temperature,
    options.numClasses,
    offDiagonalMask(g, n),
    options.classBalanced ?? true,
  );
  return reshape(parts.losses, []);
}

export function checkTemperature(fn: string, temperature: number | undefined): number {
  const t = temperature ?? 0.1;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0)
    throw invalidValue(fn, 'options.temperature', 'must be a positive number', temperature);
  return t;
}

export function checkClasses(fn: string, numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw invalidValue(fn, 'options.numClasses', 'must be a positive integer', numClasses);
}

export function describe(t: Tensor | undefined | null): unknown {
  return t !== null && typeof t === 'object' && 'dtype' in t ? `${t.dtype}[${t.shape.join(', ')}]` : t;
}

/** Matrix products. dA = gy·Bᵀ, dB = Aᵀ·gy, summed over broadcast batch axes. */
import { defineGradient } from '../graph.js';
import { formatShape, type Tensor } from '../tensor.js';
import { broadcastShapes, unbroadcast } from './broadcast.js';
import { add, mul } from './elementwise.js';
import { reshape, transpose } from './shape.js';
import { McscError } from '../errors.js';

/** Swap the last two axes. */
export function transposeLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return transpose(x, perm);
}

const MATMUL = defineGradient<{ a: Tensor; b: Tensor }>({
  name: 'MatMul',
  op: 'MatMul',
  grads: ['A', 'B'],
  formula: 'dA = gy·Bᵀ, dB = Aᵀ·gy (summed over broadcast batch axes)',
  backward: ([gy], { a, b }) => [
    () => unbroadcast(matmul(gy!, transposeLast(b)), a.shape),
    // A matrix shared by a batch (a linear layer on tokens): one product over the flattened batch,
    // not one per item and then their sum (same sum, without the [batch, K, N] intermediate).
    () =>
      b.rank === 2 && a.rank > 2
        ? gemm(reshape(a, [-1, b.shape[0]!]), reshape(gy!, [-1, b.shape[1]!]), null, { transA: true })
        : unbroadcast(matmul(transposeLast(a), gy!), b.shape),
  ],
});

/** Batched, broadcasting matrix product of tensors of rank ≥ 2 (ONNX MatMul, `torch.matmul`). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const [m, k] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (a.rank < 2 || b.rank < 2 || k !== k2) {
    throw new McscError('MatMul', `cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)}`);
  }
  const batch = broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  return a.graph.addNode({
    op: 'MatMul',
    inputs: [a, b],
    outputs: [{ shape: [...batch, m!, n!], dtype: 'float32' }],
    gradient: MATMUL.with({ a, b }),
  })[0]!;
}

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
}

const GEMM = defineGradient<{ a: Tensor; b: Tensor; c: Tensor | null } & Required<GemmOptions>>({
  name: 'Gemm',
  op: 'Gemm',
  grads: ['A', 'B', 'C'],
  formula: 'd op(A) = α·gy·op(B)ᵀ, d op(B) = α·op(A)ᵀ·gy, dC = β·Σ gy over broadcast axes',
  backward: ([gy], { a, b, c, transA, transB, alpha, beta }) => {
    // Gemm's own transpose flags instead of Transpose nodes, and no ·α or ·β when they are 1: each of
    // those would be a copy of gy or of an operand, alive until the product that reads it.
    const g = alpha === 1 ? gy! : mul(gy!, alpha);
    return [
      // d op(A) = g·op(B)ᵀ; as A is stored: that, or its transpose op(B)·gᵀ when A was transposed.
      () => (transA ? gemm(b, g, null, { transA: transB, transB: true }) : gemm(g, b, null, { transB: !transB })),
      // d op(B) = op(A)ᵀ·g; as B is stored: that, or its transpose gᵀ·op(A) when B was transposed.
      () => (transB ? gemm(g, a, null, { transA: true, transB: transA }) : gemm(a, g, null, { transA: !transA })),
      ...(c ? [() => unbroadcast(beta === 1 ? gy! : mul(gy!, beta), c.shape)] : []),
    ];
  },
});

/** Y = α·op(A)·op(B) + β·C for 2-D A and B (ONNX Gemm); C broadcasts to [M, N]. */
export function gemm(a: Tensor, b: Tensor, c: Tensor | null, opts: GemmOptions = {}): Tensor {
  const { transA = false, transB = false, alpha = 1, beta = 1 } = opts;
  if (a.rank !== 2 || b.rank !== 2)
    throw new McscError('Gemm', `expected 2-D operands, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  const [m, k] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [k2, n] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (k !== k2)
    throw new McscError(
      'Gemm',
      `inner dimensions differ: ${formatShape(a.shape)}${transA ? 'ᵀ' : ''} × ${formatShape(b.shape)}${transB ? 'ᵀ' : ''}`,
    );
  if (c) broadcastShapes('Gemm', c.shape, [m, n]);
  return a.graph.addNode({
    op: 'Gemm',
    inputs: c ? [a, b, c] : [a, b],
    outputs: [{ shape: [m, n], dtype: 'float32' }],
    attrs: { transA: transA ? 1 : 0, transB: transB ? 1 : 0, alpha: { float: alpha }, beta: { float: beta } },
    gradient: GEMM.with({ a, b, c, transA, transB, alpha, beta }),
  })[0]!;
}

/**
 * PyTorch's `nn.Linear`: y = x·Wᵀ + b with W [out, in]. 2-D inputs use one Gemm node; higher ranks
 * (tokens [B, L, C]) a MatMul against Wᵀ.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  if (x.shape[x.rank - 1] !== weight.shape[1]) {
    throw new McscError('Linear', `input ${formatShape(x.shape)} does not match weight ${formatShape(weight.shape)} ([out, in])`);
  }
  if (x.rank === 2) return gemm(x, weight, bias, { transB: true });
  const y = matmul(x, transpose(weight, [1, 0]));
  return bias ? add(y, bias) : y;
}

export const MATMUL_RULES = [MATMUL, GEMM];

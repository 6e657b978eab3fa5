/**
 * 2-D convolution and transposed convolution (NCHW), with gradients built from standard ops only.
 *
 * Gradient recipes (measured in ENGINE-NOTES.md on onnxruntime-node CPU):
 * - Conv dX, stride 1: a forward Conv of gy with the kernel flipped and its channel axes swapped —
 *   the MLAS fast path. Other strides: ConvTranspose(gy, W) with output padding fitted to X.
 * - Conv dW: one batched MatMul per kernel offset (kh·kw of them) between gy and the shifted,
 *   strided view of the padded input, summed over the batch; at stride 1 the views are contiguous
 *   ranges of row-flattened planes (2 nodes a tap instead of 3, same time). The batch↔channel Conv trick and
 *   im2col cost 2–15× a forward pass here; this costs about one forward.
 * - ConvTranspose dX is a Conv of gy with the same weight; dW is the Conv-dW recipe with roles swapped.
 */
import { defineGradient } from '../graph.js';
import { formatShape, type Tensor } from '../tensor.js';
import { concat, pad, reshape, slice, transpose } from './shape.js';
import { matmul, transposeLast } from './matmul.js';
import { reduceSum } from './reduce.js';
import { McscError } from '../errors.js';

export interface Conv2dOptions {
  /** [sh, sw] or one number; default 1. */
  stride?: number | readonly [number, number];
  /** [ph, pw] (symmetric) or [top, left, bottom, right] or one number; default 0. */
  padding?: number | readonly number[];
  dilation?: number | readonly [number, number];
  groups?: number;
}

export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: number | readonly [number, number];
}

interface Geometry {
  s: [number, number];
  d: [number, number];
  /** [top, left, bottom, right], ONNX order. */
  p: [number, number, number, number];
  groups: number;
}

function pair(v: number | readonly number[] | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  if (typeof v === 'number') return [v, v];
  return [v[0]!, v[1]!];
}

function geometry(opts: Conv2dOptions): Geometry {
  const pd = opts.padding;
  const p: [number, number, number, number] =
    pd === undefined
      ? [0, 0, 0, 0]
      : typeof pd === 'number'
        ? [pd, pd, pd, pd]
        : pd.length === 2
          ? [pd[0]!, pd[1]!, pd[0]!, pd[1]!]
          : [pd[0]!, pd[1]!, pd[2]!, pd[3]!];
  return { s: pair(opts.stride, 1), d: pair(opts.dilation, 1), p, groups: opts.groups ?? 1 };
}

function attrs(k: readonly number[], geo: Geometry) {
  return { kernel_shape: [k[0]!, k[1]!], strides: geo.s, dilations: geo.d, pads: geo.p, group: geo.groups };
}

interface ConvContext {
  x: Tensor;
  w: Tensor;
  b: Tensor | null;
  geo: Geometry;
}

const CONV = defineGradient<ConvContext>({
  name: 'Conv',
  op: 'Conv',
  grads: ['X', 'W', 'B'],
  formula:
    'dX = Conv(gy, W flipped, channels swapped) at stride 1, else ConvTranspose(gy, W); dW = Σ_taps MatMul(gy, shifted X); dB = Σ gy',
  backward: ([gy], { x, w, b, geo }) => [
    () => convInputGrad(gy!, w, x.shape, geo),
    () => kernelGrad(x, gy!, [w.shape[2]!, w.shape[3]!], geo),
    ...(b ? [() => reduceSum(gy!, [0, 2, 3])] : []),
  ],
});

/** PyTorch's `F.conv2d`: x [N, C, H, W], w [O, C/groups, kh, kw], b [O]. */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const geo = geometry(opts);
  const { s, d, p, groups } = geo;
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = w.shape as [number, number, number, number];
  const oh = Math.floor((h + p[0] + p[2] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((wd + p[1] + p[3] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  if (
    x.rank !== 4 ||
    w.rank !== 4 ||
    c !== cg * groups ||
    o % groups !== 0 ||
    (b && (b.rank !== 1 || b.shape[0] !== o)) ||
    oh <= 0 ||
    ow <= 0
  ) {
    throw new McscError(
      'Conv',
      `input ${formatShape(x.shape)}, weight ${formatShape(w.shape)}${b ? `, bias ${formatShape(b.shape)}` : ''} with groups ${groups}, stride ${s}, padding ${p}, dilation ${d} do not fit`,
    );
  }
  return x.graph.addNode({
    op: 'Conv',
    inputs: b ? [x, w, b] : [x, w],
    outputs: [{ shape: [n, o, oh, ow], dtype: 'float32' }],
    attrs: attrs([kh, kw], geo),
    gradient: CONV.with({ x, w, b, geo }),
  })[0]!;
}

const CONV_TRANSPOSE = defineGradient<ConvContext & { outputPadding: [number, number] }>({
  name: 'ConvTranspose',
  op: 'ConvTranspose',
  grads: ['X', 'W', 'B'],
  formula: 'dX = Conv(gy, W) (same geometry); dW = the Conv dW recipe with X and gy swapped; dB = Σ gy',
  backward: ([gy], { x, w, b, geo, outputPadding: op }) => {
    const { s, d, p, groups } = geo;
    return [
      // y = Wᵀ ⋆ x, so dx = W ⋆ gy: a plain Conv with the same geometry maps Cout back to Cin.
      () => conv2d(gy!, w, null, { stride: s, padding: p, dilation: d, groups }),
      () =>
        kernelGrad(gy!, x, [w.shape[2]!, w.shape[3]!], { ...geo, p: [p[0], p[1], Math.max(0, p[2] - op[0]), Math.max(0, p[3] - op[1])] }),
      ...(b ? [() => reduceSum(gy!, [0, 2, 3])] : []),
    ];
  },
});

/** PyTorch's `F.conv_transpose2d`: x [N, Cin, H, W], w [Cin, Cout/groups, kh, kw], b [Cout]. */
export function convTranspose2d(x: Tensor, w: Tensor, b: Tensor | null = null, opts: ConvTranspose2dOptions = {}): Tensor {
  const geo = geometry(opts);
  const { s, d, p, groups } = geo;
  const op = pair(opts.outputPadding, 0);
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [ci, cog, kh, kw] = w.shape as [number, number, number, number];
  const co = cog * groups;
  const oh = s[0] * (h - 1) + op[0] + d[0] * (kh - 1) + 1 - p[0] - p[2];
  const ow = s[1] * (wd - 1) + op[1] + d[1] * (kw - 1) + 1 - p[1] - p[3];
  if (
    x.rank !== 4 ||
    w.rank !== 4 ||
    c !== ci ||
    c % groups !== 0 ||
    (b && (b.rank !== 1 || b.shape[0] !== co)) ||
    oh <= 0 ||
    ow <= 0 ||
    op[0] >= Math.max(s[0], d[0]) ||
    op[1] >= Math.max(s[1], d[1])
  ) {
    throw new McscError(
      'ConvTranspose',
      `input ${formatShape(x.shape)}, weight ${formatShape(w.shape)}${b ? `, bias ${formatShape(b.shape)}` : ''} with groups ${groups}, stride ${s}, padding ${p}, output padding ${op} do not fit`,
    );
  }
  return x.graph.addNode({
    op: 'ConvTranspose',
    inputs: b ? [x, w, b] : [x, w],
    outputs: [{ shape: [n, co, oh, ow], dtype: 'float32' }],
    attrs: { ...attrs([kh, kw], geo), output_padding: op },
    gradient: CONV_TRANSPOSE.with({ x, w, b, geo, outputPadding: op }),
  })[0]!;
}

/** dX of a Conv: a stride-1 Conv with the flipped kernel when possible, else ConvTranspose. */
function convInputGrad(gy: Tensor, w: Tensor, xShape: readonly number[], geo: Geometry): Tensor {
  const { s, d, p, groups } = geo;
  const [o, cg, kh, kw] = w.shape as [number, number, number, number];
  const reach = [d[0] * (kh - 1), d[1] * (kw - 1)];
  const mirrored = [reach[0]! - p[0], reach[1]! - p[1], reach[0]! - p[2], reach[1]! - p[3]];
  if (s[0] === 1 && s[1] === 1 && mirrored.every((v) => v >= 0)) {
    // W′[c, o] = W[o, c] flipped in space, per group.
    const perGroup = reshape(w, [groups, o / groups, cg, kh, kw]);
    const swapped = reshape(transpose(perGroup, [0, 2, 1, 3, 4]), [groups * cg, o / groups, kh, kw]);
    const flipped = slice(swapped, { axes: [2, 3], starts: [-1, -1], ends: [-kh - 1, -kw - 1], steps: [-1, -1] });
    return conv2d(gy, flipped, null, { padding: mirrored, dilation: d, groups });
  }
  const outPad: [number, number] = [0, 1].map((i) => {
    const full = s[i]! * (gy.shape[2 + i]! - 1) + reach[i]! + 1;
    return xShape[2 + i]! + p[i]! + p[i + 2]! - full;
  }) as [number, number];
  return convTranspose2d(gy, w, null, { stride: s, padding: p, dilation: d, groups, outputPadding: outPad });
}

/**
 * The kernel gradient, one batched MatMul per kernel tap (i, j):
 *   dW[a, b, i, j] = Σ_n Σ_q small[n, a, q] · big_pad[n, b, q·s + (i, j)·d]   (per group)
 * Conv: small = gy, big = x, W [O, C/G, kh, kw]. ConvTranspose: small = x, big = gy, W [Cin, Cout/G, kh, kw].
 * Each tap is `small` times a strided slice of the padded `big`, read transposed; the kh·kw
 * products are stacked, summed over the batch once, and reordered (all small tensors).
 * Measured on 2 cores (ENGINE-NOTES, and the graph bench): about one forward Conv in time; an im2col
 * with a single MatMul, whether built by a one-hot depthwise Conv or by slices + Concat, was slower.
 */
function kernelGrad(big: Tensor, small: Tensor, k: [number, number], geo: Geometry): Tensor {
  const { s, d, p, groups } = geo;
  const [n, cBig] = big.shape as [number, number];
  const [, cSmall, qh, qw] = small.shape as [number, number, number, number];
  if (s[0] === 1 && s[1] === 1) return kernelGradFlat(big, small, k, geo);
  const padded = pad(big, [0, 0, p[0], p[1], 0, 0, p[2], p[3]]);
  const smallFlat = reshape(small, [n, groups, cSmall / groups, qh * qw]); // [N, G, A/G, Q]
  const products: Tensor[] = [];
  for (let i = 0; i < k[0]; i++) {
    for (let j = 0; j < k[1]; j++) {
      const view = slice(padded, {
        axes: [2, 3],
        starts: [i * d[0], j * d[1]],
        ends: [i * d[0] + s[0] * (qh - 1) + 1, j * d[1] + s[1] * (qw - 1) + 1],
        steps: [s[0], s[1]],
      });
      products.push(matmul(smallFlat, transposeLast(reshape(view, [n, groups, cBig / groups, qh * qw])))); // [N, G, A/G, B/G]
    }
  }
  return tapsToKernel(concat(products, 2), [cSmall, cBig / groups, k[0], k[1]], groups);
}

/**
 * The per-tap products [N, G, A/G, B/G] → Σ_N → [G, taps, A/G, B/G] → [G, A/G, B/G, taps] = [A, B/G, kh, kw].
 * Products as A×B (not B×A) make that last reorder move one axis inwards, which onnxruntime does ~15×
 * faster than the general permutation B×A needed (0.15 against 2.3 ms for a 256×256×3×3 kernel on 2 cores);
 * each product reads its tap transposed, which onnxruntime folds into the MatMul (FusedMatMul, transB).
 */
function tapsToKernel(products: Tensor, kernelShape: [number, number, number, number], groups: number): Tensor {
  const [a, bg, kh, kw] = kernelShape;
  const summed = reshape(reduceSum(products, [0]), [groups, kh * kw, a / groups, bg]);
  return reshape(transpose(summed, [0, 2, 3, 1]), kernelShape);
}

/**
 * Stride 1: the same sums over row-flattened planes. With `big` padded to width Wp and `small` widened
 * to Wp by zero columns, tap (i, j) of the padded plane flattened is the contiguous range starting at
 * i·dh·Wp + j·dw, so each tap is one Slice on the last axis (no per-tap Reshape); the widened columns of
 * `small` are zero, so what they meet adds nothing. How the kh·kw products are formed depends on the
 * channel counts (graph bench, 2 cores, 2026-12-03):
 * - within 4× of each other: one MatMul per tap, each against its Slice of `big`;
 * - `small` ≤ ¼ of `big` (a segmentation head, 96 → 4): the shift moved onto `small` — its plane placed
 *   at every tap's offset, stacked into one [taps·A, M] operand, and one MatMul that reads `big` once.
 *   The Swin-UNet's 96 → 4 head at 4×224²: 72 → 16 ms. (Per tap, `big` would be copied and read kh·kw times.)
 * - `big` ≤ ¼ of `small` (a first layer, 1 → 16): the taps of `big` stacked into one operand [taps·B, L]
 *   and one MatMul, instead of kh·kw matrix–vector products: 1.4 → 0.4 ms at 4×128².
 */
function kernelGradFlat(big: Tensor, small: Tensor, k: [number, number], geo: Geometry): Tensor {
  const { d, p, groups } = geo;
  const [n, cBig, h, w] = big.shape as [number, number, number, number];
  const [, cSmall, qh, qw] = small.shape as [number, number, number, number];
  const wp = w + p[1] + p[3];
  const hp = h + p[0] + p[2];
  // One extra row so that the last tap's range (offset up to dw·(kw − 1)) stays inside the plane.
  const extra = d[1] * (k[1] - 1) > 0 ? 1 : 0;
  const planeLength = (hp + extra) * wp;
  const flat = reshape(pad(big, [0, 0, p[0], p[1], 0, 0, p[2] + extra, p[3]]), [n, groups, cBig / groups, planeLength]);
  const length = qh * wp;
  const wide = qw === wp ? small : pad(small, [0, 0, 0, 0, 0, 0, 0, wp - qw]);
  const smallFlat = reshape(wide, [n, groups, cSmall / groups, length]); // [N, G, A/G, L]
  const starts: number[] = [];
  for (let i = 0; i < k[0]; i++) for (let j = 0; j < k[1]; j++) starts.push(i * d[0] * wp + j * d[1]);
  const tap = (t: Tensor, start: number, size: number) => slice(t, { axes: [3], starts: [start], ends: [start + size] });
  const kernelShape: [number, number, number, number] = [cSmall, cBig / groups, k[0], k[1]];

  if (4 * cSmall <= cBig) {
    // Row t of the stack meets flat[m] with small[m − start_t]: `small` padded by the largest offset in
    // front and to the plane's length behind, then read from (largest − start_t).
    const lead = starts[starts.length - 1]!;
    const placed = pad(smallFlat, [0, 0, 0, lead, 0, 0, 0, planeLength - length]);
    const stacked = concat(
      starts.map((s) => tap(placed, lead - s, planeLength)),
      2,
    ); // [N, G, taps·A/G, M]
    return tapsToKernel(matmul(stacked, transposeLast(flat)), kernelShape, groups);
  }
  if (4 * cBig <= cSmall) {
    const stacked = concat(
      starts.map((s) => tap(flat, s, length)),
      2,
    ); // [N, G, taps·B/G, L]
    const summed = reduceSum(matmul(smallFlat, transposeLast(stacked)), [0]); // [G, A/G, taps·B/G]
    return reshape(transpose(reshape(summed, [groups, cSmall / groups, starts.length, cBig / groups]), [0, 1, 3, 2]), kernelShape);
  }
  return tapsToKernel(
    concat(
      starts.map((s) => matmul(smallFlat, transposeLast(tap(flat, s, length)))),
      2,
    ),
    kernelShape,
    groups,
  );
}

export const CONV_RULES = [CONV, CONV_TRANSPOSE];

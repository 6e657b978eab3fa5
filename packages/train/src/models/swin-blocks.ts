/**
 * Swin Transformer pieces (Liu et al. 2021; Swin-UNet, Cao et al. 2022) on token tensors [B, L, C]
 * with square resolution r (L = r²). Reshapes keep the batch as −1 so exported models have a dynamic N.
 */
import {
  add,
  checkpoint,
  concat,
  dropout,
  gather,
  mlp,
  layerNorm,
  linear,
  matmul,
  mul,
  reshape,
  softmax,
  split,
  transpose,
  transposeLast,
  type Graph,
  type LinearLayer,
  type Tensor,
} from '@mcsc/graph';
import { constant } from './init.js';
import { truncNormal } from './swin-init.js';

/** nn.Linear's parameters with Swin's init (weight truncated-normal std 0.02, bias 0): `<name>.weight` [out, in], `<name>.bias`. */
function swinLinearParams(g: Graph, name: string, cin: number, cout: number): LinearLayer {
  return { weight: g.param(`${name}.weight`, [cout, cin], truncNormal(0.02)), bias: g.param(`${name}.bias`, [cout], constant(0)) };
}

/** nn.Linear with Swin's init (weight truncated-normal std 0.02, bias 0): `<name>.weight` [out, in]. */
export function swinLinear(g: Graph, x: Tensor, name: string, cin: number, cout: number, bias = true): Tensor {
  if (!bias) return linear(x, g.param(`${name}.weight`, [cout, cin], truncNormal(0.02)));
  const { weight, bias: b } = swinLinearParams(g, name, cin, cout);
  return linear(x, weight, b);
}

/** nn.LayerNorm's parameters (1/0 init): `<name>.weight`, `<name>.bias` [c]. */
export function swinNormParams(g: Graph, name: string, c: number): [Tensor, Tensor] {
  return [g.param(`${name}.weight`, [c], constant(1)), g.param(`${name}.bias`, [c], constant(0))];
}

/** nn.LayerNorm over the channel axis (1/0 init). */
export function swinNorm(g: Graph, x: Tensor, name: string, c: number): Tensor {
  return layerNorm(x, ...swinNormParams(g, name, c));
}

/** torch.roll along one axis: out[i] = in[(i − shift) mod n]. */
export function roll(x: Tensor, shift: number, axis: number): Tensor {
  const n = x.shape[axis]!;
  const k = ((shift % n) + n) % n;
  if (k === 0) return x;
  const [head, tail] = split(x, [n - k, k], axis);
  return concat([tail!, head!], axis);
}

/** [B, r, r, C] → [B·nW, w·w, C] (window_partition). */
function partition(x: Tensor, r: number, w: number, c: number): Tensor {
  const t = transpose(reshape(x, [-1, r / w, w, r / w, w, c]), [0, 1, 3, 2, 4, 5]);
  return reshape(t, [-1, w * w, c]);
}

/** [B·nW, w·w, C] → [B, r, r, C] (window_reverse). */
function merge(x: Tensor, r: number, w: number, c: number): Tensor {
  const t = transpose(reshape(x, [-1, r / w, r / w, w, w, c]), [0, 1, 3, 2, 4, 5]);
  return reshape(t, [-1, r, r, c]);
}

/** relative_position_index of a w×w window: [(w²)·(w²)] indices into the (2w−1)² table. */
export function relativePositionIndex(w: number): BigInt64Array {
  const n = w * w;
  const idx = new BigInt64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      const dy = Math.floor(a / w) - Math.floor(b / w) + w - 1;
      const dx = (a % w) - (b % w) + w - 1;
      idx[a * n + b] = BigInt(dy * (2 * w - 1) + dx);
    }
  }
  return idx;
}

/** The shifted-window attention mask [nW, 1, N, N]: −100 between tokens from different regions. */
export function shiftedWindowMask(r: number, w: number, s: number): Float32Array {
  const region = new Int32Array(r * r);
  const bands = [
    [0, r - w],
    [r - w, r - s],
    [r - s, r],
  ] as const;
  let id = 0;
  for (const [h0, h1] of bands) {
    for (const [w0, w1] of bands) {
      for (let y = h0; y < h1; y++) for (let x = w0; x < w1; x++) region[y * r + x] = id;
      id++;
    }
  }
  const nw = (r / w) ** 2;
  const n = w * w;
  const mask = new Float32Array(nw * n * n);
  for (let win = 0; win < nw; win++) {
    const wy = Math.floor(win / (r / w));
    const wx = win % (r / w);
    const ids = Array.from({ length: n }, (_, t) => region[(wy * w + Math.floor(t / w)) * r + wx * w + (t % w)]!);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) mask[(win * n + a) * n + b] = ids[a] === ids[b] ? 0 : -100;
  }
  return mask;
}

export interface BlockSpec {
  name: string;
  resolution: number;
  dim: number;
  heads: number;
  window: number;
  shift: number;
  mlpRatio: number;
  dropPath: number;
  /** In a training graph, rebuild the attention branch and the MLP's hidden layer in the backward pass. */
  checkpoint: boolean;
}

interface AttentionParams {
  qkv: LinearLayer;
  /** relative_position_bias_table [(2w−1)², heads]. */
  table: Tensor;
  proj: LinearLayer;
}

/** WindowAttention on normed tokens [B, r², C], the cyclic shift around it: → [B, r², C]. */
function windowAttention(normed: Tensor, b: BlockSpec, p: AttentionParams, index: Tensor, mask: Tensor | undefined): Tensor {
  const { resolution: r, dim: c, heads, window: w, shift: s } = b;
  const n = w * w;
  const hd = c / heads;
  let h = reshape(normed, [-1, r, r, c]);
  if (s > 0) h = roll(roll(h, -s, 1), -s, 2);
  const windows = partition(h, r, w, c);
  const qkv = transpose(reshape(linear(windows, p.qkv.weight, p.qkv.bias), [-1, n, 3, heads, hd]), [2, 0, 3, 1, 4]);
  const [q, k, v] = split(qkv, [1, 1, 1], 0).map((t) => reshape(t, [-1, heads, n, hd]));
  let attn = matmul(mul(q!, hd ** -0.5), transposeLast(k!)); // [B·nW, heads, N, N]
  const bias = transpose(reshape(gather(p.table, index, 0), [n, n, heads]), [2, 0, 1]);
  attn = add(attn, bias);
  if (mask) {
    const nw = (r / w) ** 2;
    attn = reshape(add(reshape(attn, [-1, nw, heads, n, n]), mask), [-1, heads, n, n]);
  }
  const out = reshape(transpose(matmul(softmax(attn, -1), v!), [0, 2, 1, 3]), [-1, n, c]);
  let y = merge(linear(out, p.proj.weight, p.proj.bias), r, w, c);
  if (s > 0) y = roll(roll(y, s, 1), s, 2);
  return reshape(y, [-1, r * r, c]);
}

/** SwinTransformerBlock: x + DropPath(W-MSA/SW-MSA(LN(x))), then x + DropPath(MLP(LN(x))). */
export function swinBlock(g: Graph, x: Tensor, b: BlockSpec): Tensor {
  const { name, resolution: r, dim: c, heads, window: w, shift: s } = b;
  const n = w * w;
  // parameters in the published module's creation order (norm1, attn.qkv, the bias table, attn.proj)
  const norm1 = swinNormParams(g, `${name}.norm1`, c);
  const qkv = swinLinearParams(g, `${name}.attn.qkv`, c, 3 * c);
  const table = g.param(`${name}.attn.relative_position_bias_table`, [(2 * w - 1) ** 2, heads], truncNormal(0.02));
  const proj = swinLinearParams(g, `${name}.attn.proj`, c, c);
  const index = g.constant(relativePositionIndex(w), [n * n], 'int64');
  const mask = s > 0 ? g.constant(shiftedWindowMask(r, w, s), [(r / w) ** 2, 1, n, n]) : undefined;
  const inputs = [x, ...norm1, qkv.weight, qkv.bias, table, proj.weight, proj.bias];
  const attention = ([x, gamma, beta, qkvWeight, qkvBias, table, projWeight, projBias]: Tensor[]) =>
    windowAttention(
      layerNorm(x!, gamma!, beta!),
      b,
      { qkv: { weight: qkvWeight!, bias: qkvBias! }, table: table!, proj: { weight: projWeight!, bias: projBias! } },
      index,
      mask,
    );
  // With `checkpoint`, a training graph rebuilds the attention branch's tensors (qkv, the N×N scores, the
  // window copies: most of Swin's saved activations) in the backward pass instead of keeping them
  // (docs/engine.md#activation-memory).
  x = add(x, dropPath(g.training && b.checkpoint ? checkpoint(inputs, attention) : attention(inputs), b.dropPath));

  const hidden = Math.round(c * b.mlpRatio);
  const normed = swinNorm(g, x, `${name}.norm2`, c);
  // Linear, GELU, Linear, with `checkpoint` the hidden layer (4C wide) recomputed in the backward pass
  // (`mlp`, docs/engine.md#activation-memory); parameters created in the published module's order
  const fc1 = swinLinearParams(g, `${name}.mlp.fc1`, c, hidden);
  const fc2 = swinLinearParams(g, `${name}.mlp.fc2`, hidden, c);
  return add(x, dropPath(mlp(normed, fc1, fc2, 'gelu', { recompute: b.checkpoint }), b.dropPath));
}

/** Stochastic depth: drop whole samples with probability p (mask [B, 1, 1]). */
function dropPath(x: Tensor, p: number): Tensor {
  return dropout(x, p, [x.shape[0]!, 1, 1]);
}

/** PatchMerging: 2×2 neighbours (x0, x1, x2, x3 as the reference) → LN(4C) → Linear(4C → 2C). */
export function patchMerging(g: Graph, x: Tensor, name: string, r: number, c: number): Tensor {
  // [B, r/2, 2(h), r/2, 2(w), C] → [B, r/2, r/2, w, h, C]: channel order (h, w) = (0,0), (1,0), (0,1), (1,1).
  const t = transpose(reshape(x, [-1, r / 2, 2, r / 2, 2, c]), [0, 1, 3, 4, 2, 5]);
  const merged = swinNorm(g, reshape(t, [-1, (r / 2) ** 2, 4 * c]), `${name}.norm`, 4 * c);
  return swinLinear(g, merged, `${name}.reduction`, 4 * c, 2 * c, false);
}

/**
 * PatchExpand (×2, C → C/2) or the final expand (×patch, C → C; the reference's FinalPatchExpand_X4 with
 * patch 4): Linear(C → s²·C′, no bias) → pixel shuffle 'b h w (p1 p2 c) → b (h p1) (w p2) c' → LN(C′).
 */
export function patchExpand(g: Graph, x: Tensor, name: string, r: number, c: number, scale: number, out: number): Tensor {
  return expandWith(x, patchExpandParams(g, name, c, scale, out), r, scale, out);
}

/** PatchExpand's parameters, in the published module's order: `<name>.expand.weight`, `<name>.norm.{weight,bias}`. */
export function patchExpandParams(g: Graph, name: string, c: number, scale: number, out: number): [Tensor, Tensor, Tensor] {
  const expand = g.param(`${name}.expand.weight`, [scale * scale * out, c], truncNormal(0.02));
  return [expand, ...swinNormParams(g, `${name}.norm`, out)];
}

/** {@link patchExpand} on given parameters (expand weight, norm weight, norm bias). */
export function expandWith(x: Tensor, [expand, gamma, beta]: readonly Tensor[], r: number, scale: number, out: number): Tensor {
  const e = linear(x, expand!);
  const t = transpose(reshape(e, [-1, r, r, scale, scale, out]), [0, 1, 3, 2, 4, 5]);
  return layerNorm(reshape(t, [-1, (r * scale) ** 2, out]), gamma!, beta!);
}

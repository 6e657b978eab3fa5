/**
 * MCSC's projection heads (docs/method/networks.md#projectors): 1×1 convolutions mapping each network's features into one
 * 128-channel embedding space, L2-normalised over channels, at two scales.
 *   1/1: cnn x8 (16 ch) → Conv1×1(16→256) → ReLU → shared Conv1×1(256→128)
 *        trans feature 3 (C ch) → Conv1×1(C→256) → ReLU → the same shared Conv1×1
 *   1/8: cnn x5 (128 ch) → Conv1×1(128→256) → ReLU → shared Conv1×1(256→128)
 *        trans tokens (2C) → LayerNorm → [B, 2C, R/8, R/8] → Conv1×1(2C→256) → ReLU → shared
 * One shared last layer per scale (docs/method/networks.md#projectors); names: `projector1.*` (1/1) and `projector8.*` (1/8).
 */
import { conv2d, l2Normalize, relu, reshape, transpose, type Graph, type Tensor } from '@mcsc/graph';
import { fanInBias, kaimingUniformA5 } from './init.js';
import { conv } from './layers.js';
import { swinNorm } from './swin-blocks.js';

export interface ProjectorOptions {
  hidden?: number;
  out?: number;
}

/** The shared last layer of a scale: parameters created once, applied to both networks. */
function sharedLayer(g: Graph, name: string, hidden: number, out: number): (h: Tensor) => Tensor {
  const shape = [out, hidden, 1, 1];
  const w = g.param(`${name}.weight`, shape, kaimingUniformA5);
  const b = g.param(`${name}.bias`, [out], fanInBias(shape));
  return (h) => conv2d(h, w, b);
}

function head(g: Graph, x: Tensor, name: string, shared: (h: Tensor) => Tensor, hidden: number): Tensor {
  return l2Normalize(shared(relu(conv(g, x, name, x.shape[1]!, hidden, { kernel: 1 }))), 1);
}

/** Projected, unit-norm features [B, 128, H, W] of both networks at scale 1/1. */
export function projectFull(g: Graph, cnn: Tensor, trans: Tensor, opts: ProjectorOptions = {}): { cnn: Tensor; trans: Tensor } {
  const { hidden = 256, out = 128 } = opts;
  const shared = sharedLayer(g, 'projector1.shared', hidden, out);
  return { cnn: head(g, cnn, 'projector1.cnn', shared, hidden), trans: head(g, trans, 'projector1.trans', shared, hidden) };
}

/** Scale 1/8: the CNN's x5 map and the Transformer's token map [B, L, 2C] (L = side²). */
export function projectEighth(g: Graph, cnn: Tensor, transTokens: Tensor, opts: ProjectorOptions = {}): { cnn: Tensor; trans: Tensor } {
  const { hidden = 256, out = 128 } = opts;
  const c = transTokens.shape[2]!;
  const side = Math.round(Math.sqrt(transTokens.shape[1]!));
  const normed = swinNorm(g, transTokens, 'projector8.trans_norm', c);
  const map = reshape(transpose(normed, [0, 2, 1]), [-1, c, side, side]);
  const shared = sharedLayer(g, 'projector8.shared', hidden, out);
  return { cnn: head(g, cnn, 'projector8.cnn', shared, hidden), trans: head(g, map, 'projector8.trans', shared, hidden) };
}

/**
 * MCSC's projection heads (docs/method/networks.md#projectors): 1×1 convolutions mapping each network's features into one
 * 128-channel embedding space, L2-normalised over channels, at two scales.
 *   1/1: cnn x8 (16 ch) → Conv1×1(16→256) → ReLU → shared Conv1×1(256→128)
 *        trans feature 3 (C ch) → Conv1×1(C→256) → ReLU → the same shared Conv1×1
 *   1/8: cnn x5 (128 ch) → Conv1×1(128→256) → ReLU → shared Conv1×1(256→128)
 *        trans tokens (2C) → LayerNorm → [B, 2C, R/8, R/8] → Conv1×1(2C→256) → ReLU → shared
 * One shared last layer per scale (docs/method/networks.md#projectors); names: `projector1.*` (1/1) and `projector8.*` (1/8).
 *
 * Every head is pointwise: each pixel's (token's) embedding depends on its own features alone. So a
 * scale's heads come in two forms with the same parameters: on feature maps ({@link projectFull},
 * {@link projectEighth}) and on points ({@link projectorHeads}: rows [M, C_in] → [M, out], the 1×1
 * convolutions as Gemm), the form the trainer uses to project only the pixels its block contrastive
 * loss samples (`graphLosses.projectedBlockConLoss`, docs/method/losses.md#projecting-only-the-sampled-points).
 */
import {
  conv2d,
  layerNorm,
  l2Normalize,
  mlp,
  McscError,
  relu,
  reshape,
  transpose,
  type Graph,
  type LinearLayer,
  type Tensor,
} from '@mcsc/graph';
import { constant, fanInBias, kaimingUniformA5 } from './init.js';

export interface ProjectorOptions {
  hidden?: number;
  out?: number;
}

/** A contrasted scale: `full` (1/1, `projector1.*`) or `eighth` (1/8, `projector8.*`). */
export type ProjectorScale = 'full' | 'eighth';

/** nn.Conv2d(cin, cout, 1) (`<name>.weight` [cout, cin, 1, 1], `<name>.bias`), on maps and, as the linear layer x·Wᵀ + b, on points [M, cin]. */
function conv1x1(g: Graph, name: string, cin: number, cout: number): { map: (x: Tensor) => Tensor; points: () => LinearLayer } {
  const shape = [cout, cin, 1, 1];
  const w = g.param(`${name}.weight`, shape, kaimingUniformA5);
  const b = g.param(`${name}.bias`, [cout], fanInBias(shape));
  // `points` reshapes the weight where it is called, so that the Reshape is in the caller's scope
  return { map: (x) => conv2d(x, w, b), points: () => ({ weight: reshape(w, [cout, cin]), bias: b }) };
}

/**
 * A scale's parameters, created in the order of the published module (1/8: the Transformer's LayerNorm
 * first; then the shared layer, the CNN's first layer, the Transformer's), and its heads in both forms.
 * `channels`: the CNN's and the Transformer's input channels (1/8: the tokens' 2C).
 */
function scaleHeads(g: Graph, scale: ProjectorScale, channels: readonly [number, number], opts: ProjectorOptions) {
  const { hidden = 256, out = 128 } = opts;
  const prefix = scale === 'full' ? 'projector1' : 'projector8';
  let norm: ((x: Tensor) => Tensor) | null = null;
  if (scale === 'eighth') {
    const c = channels[1];
    const w = g.param(`${prefix}.trans_norm.weight`, [c], constant(1)); // nn.LayerNorm, as swinNorm
    const b = g.param(`${prefix}.trans_norm.bias`, [c], constant(0));
    norm = (x) => layerNorm(x, w, b);
  }
  const shared = conv1x1(g, `${prefix}.shared`, hidden, out);
  const first = [conv1x1(g, `${prefix}.cnn`, channels[0], hidden), conv1x1(g, `${prefix}.trans`, channels[1], hidden)] as const;
  return {
    /** View 0 (CNN) or 1 (Transformer) on its map [B, C_in, h, w] (1/8 Transformer: its tokens [B, L, 2C]) → [B, out, h, w]. */
    map(x: Tensor, view: 0 | 1): Tensor {
      if (norm && view === 1) {
        const c = x.shape[2]!;
        const side = Math.round(Math.sqrt(x.shape[1]!));
        x = reshape(transpose(norm(x), [0, 2, 1]), [-1, c, side, side]);
      }
      return l2Normalize(shared.map(relu(first[view].map(x))), 1);
    },
    /**
     * The same head on points [M, C_in] → [M, out]. Its hidden layer (M × 256) is recomputed in the
     * backward pass instead of kept (`mlp`; docs/engine.md#activation-memory).
     */
    points(x: Tensor, view: 0 | 1): Tensor {
      return l2Normalize(this.unnormalizedPoints(x, view), 1);
    },
    /** `points` before the L2 normalisation. */
    unnormalizedPoints(x: Tensor, view: 0 | 1): Tensor {
      const normed = norm && view === 1 ? norm(x) : x;
      return mlp(normed, first[view].points(), shared.points());
    },
  };
}

/** Projected, unit-norm features [B, 128, H, W] of both networks at scale 1/1. */
export function projectFull(g: Graph, cnn: Tensor, trans: Tensor, opts: ProjectorOptions = {}): { cnn: Tensor; trans: Tensor } {
  const heads = scaleHeads(g, 'full', [cnn.shape[1]!, trans.shape[1]!], opts);
  return { cnn: heads.map(cnn, 0), trans: heads.map(trans, 1) };
}

/** Scale 1/8: the CNN's x5 map and the Transformer's token map [B, L, 2C] (L = side²). */
export function projectEighth(g: Graph, cnn: Tensor, transTokens: Tensor, opts: ProjectorOptions = {}): { cnn: Tensor; trans: Tensor } {
  const heads = scaleHeads(g, 'eighth', [cnn.shape[1]!, transTokens.shape[2]!], opts);
  return { cnn: heads.map(cnn, 0), trans: heads.map(transTokens, 1) };
}

/**
 * A scale's heads on points, the same parameters (names, shapes, initialisation, creation order) as
 * {@link projectFull} / {@link projectEighth}: `project(points, view)` maps rows [M, C_in] of view 0 (the
 * CNN) or 1 (the Transformer) to unit rows [M, out], each row from its own alone. `channels`: the CNN's
 * and the Transformer's input channels (at 1/8 the tokens' 2C). The parameters are created here, once.
 * `normalize` false: the rows before the heads' L2 normalisation, for a caller that normalises them
 * itself (`projectedBlockConLoss` with `normalize: true`, which then keeps one copy of the points).
 */
export function projectorHeads(
  g: Graph,
  scale: ProjectorScale,
  channels: readonly [number, number],
  opts: ProjectorOptions = {},
  normalize = true,
): (points: Tensor, view: number) => Tensor {
  const heads = scaleHeads(g, scale, channels, opts);
  return (points, view) => {
    if (view !== 0 && view !== 1) throw new McscError('projectorHeads', `view must be 0 (the CNN) or 1 (the Transformer), got ${view}`);
    return normalize ? heads.points(points, view) : heads.unnormalizedPoints(points, view);
  };
}

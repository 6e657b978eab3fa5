/**
 * Swin-UNet (Cao et al. 2022, `SwinTransformerSys`, final upsample "expand_first") as MCSC uses it
 * (docs/method/networks.md#swin-unet): parameters under `swin_unet.`; returns four decoder features:
 *   0: tokens [B, (R/16)², 8C/2]  after layers_up.0 (PatchExpand of the bottleneck)
 *   1: tokens [B, (R/8)², 2C]     after layers_up.1 — MCSC's 1/8 scale (192 ch, 28×28 at 224)
 *   2: tokens [B, (R/4)², C]      after layers_up.2
 *   3: image  [B, C, R, R]        after layers_up.3, norm_up and the ×patch expand — MCSC's 1/1 scale
 * (R = image size / patch size · patch size; C = embed dim). The reference's 1×1 `output` conv is
 * not used by MCSC; `classifier2` (a Conv3×3) is the head.
 */
import { checkpoint, concat, conv2d, layerNorm, reshape, transpose, type Graph, type Tensor, McscError } from '@mcsc/graph';
import { fanInBias, kaimingUniformA5 } from './init.js';
import {
  expandWith,
  patchExpand,
  patchExpandParams,
  patchMerging,
  swinBlock,
  swinLinear,
  swinNorm,
  swinNormParams,
} from './swin-blocks.js';

export interface SwinUNetConfig {
  inChannels: number;
  imgSize: number;
  patchSize: number;
  embedDim: number;
  depths: readonly number[];
  numHeads: readonly number[];
  windowSize: number;
  mlpRatio: number;
  dropPathRate: number;
  /**
   * Training graphs rebuild the attention branches and the MLP hidden layers of the first n encoder
   * stages and their decoder mirrors, and with n ≥ 1 the final ×patch expand, in the backward pass
   * instead of keeping their tensors (less memory, more compute, the same values). true: every stage;
   * false: none. Default 1: the activations are largest at the highest resolution, while each block's
   * recomputation costs about the same at every stage (docs/engine.md#activation-memory).
   */
  gradientCheckpointing?: boolean | number;
}

/** Swin-Tiny at 224 (docs/method/networks.md#swin-unet). */
export const SWIN_TINY: Omit<SwinUNetConfig, 'inChannels'> = {
  imgSize: 224,
  patchSize: 4,
  embedDim: 96,
  depths: [2, 2, 2, 2],
  numHeads: [3, 6, 12, 24],
  windowSize: 7,
  mlpRatio: 4,
  dropPathRate: 0.2,
  gradientCheckpointing: 1,
};

/** Per stage: resolution, window and shift after the reference's rule (window ≥ resolution → no shift). */
export function swinStages(cfg: SwinUNetConfig): { resolution: number; window: number; shift: number }[] {
  const base = cfg.imgSize / cfg.patchSize;
  if (!Number.isInteger(base) || base % 2 ** (cfg.depths.length - 1) !== 0) {
    throw new McscError(
      'Swin-UNet',
      `imgSize ${cfg.imgSize} / patchSize ${cfg.patchSize} = ${base} must be an integer divisible by ${2 ** (cfg.depths.length - 1)} (one halving per stage)`,
    );
  }
  if (cfg.depths.length !== cfg.numHeads.length)
    throw new McscError('Swin-UNet', `depths (${cfg.depths.length}) and numHeads (${cfg.numHeads.length}) must have the same length`);
  return cfg.depths.map((_, i) => {
    const resolution = base / 2 ** i;
    const dim = cfg.embedDim * 2 ** i;
    if (dim % cfg.numHeads[i]! !== 0)
      throw new McscError('Swin-UNet', `stage ${i} has ${dim} channels, not divisible by ${cfg.numHeads[i]} heads`);
    if (resolution <= cfg.windowSize) return { resolution, window: resolution, shift: 0 };
    if (resolution % cfg.windowSize !== 0) {
      throw new McscError(
        'Swin-UNet',
        `stage ${i} resolution ${resolution}×${resolution} is not a multiple of windowSize ${cfg.windowSize}`,
      );
    }
    return { resolution, window: cfg.windowSize, shift: Math.floor(cfg.windowSize / 2) };
  });
}

function stage(g: Graph, x: Tensor, name: string, cfg: SwinUNetConfig, i: number, rates: number[], rebuild: boolean): Tensor {
  const st = swinStages(cfg)[i]!;
  for (let j = 0; j < cfg.depths[i]!; j++) {
    x = swinBlock(g, x, {
      name: `${name}.blocks.${j}`,
      resolution: st.resolution,
      dim: cfg.embedDim * 2 ** i,
      heads: cfg.numHeads[i]!,
      window: st.window,
      shift: j % 2 === 1 ? st.shift : 0,
      mlpRatio: cfg.mlpRatio,
      dropPath: rates[j]!,
      checkpoint: rebuild,
    });
  }
  return x;
}

export function swinUnet(g: Graph, image: Tensor, cfg: SwinUNetConfig, prefix = 'swin_unet.'): Tensor[] {
  if (image.rank !== 4 || image.shape[1] !== cfg.inChannels || image.shape[2] !== cfg.imgSize || image.shape[3] !== cfg.imgSize) {
    throw new McscError(
      'Swin-UNet',
      `expected an image [N, ${cfg.inChannels}, ${cfg.imgSize}, ${cfg.imgSize}], got [${image.shape.join(', ')}]`,
    );
  }
  const stages = swinStages(cfg);
  const last = cfg.depths.length - 1;
  const total = cfg.depths.reduce((a, b) => a + b, 0);
  const dpr = Array.from({ length: total }, (_, i) => (total === 1 ? 0 : (cfg.dropPathRate * i) / (total - 1)));
  const ratesOf = (i: number) =>
    dpr.slice(
      cfg.depths.slice(0, i).reduce((a, b) => a + b, 0),
      cfg.depths.slice(0, i + 1).reduce((a, b) => a + b, 0),
    );
  const c = cfg.embedDim;
  const p = `${prefix}`;
  // Checkpoints apply to training graphs only; stages below `rebuilt` rebuild their blocks.
  const setting = cfg.gradientCheckpointing ?? SWIN_TINY.gradientCheckpointing!;
  const rebuilt = setting === true ? cfg.depths.length : setting === false ? 0 : setting;

  // A one-channel slice is repeated to three channels, as the reference does.
  const x3 = cfg.inChannels === 1 ? concat([image, image, image], 1) : image;
  const inCh = cfg.inChannels === 1 ? 3 : cfg.inChannels;
  const wShape = [c, inCh, cfg.patchSize, cfg.patchSize];
  const patches = conv2d(
    x3,
    g.param(`${p}patch_embed.proj.weight`, wShape, kaimingUniformA5),
    g.param(`${p}patch_embed.proj.bias`, [c], fanInBias(wShape)),
    { stride: cfg.patchSize },
  );
  let x = swinNorm(g, transpose(reshape(patches, [0, c, -1]), [0, 2, 1]), `${p}patch_embed.norm`, c);

  const skips: Tensor[] = [];
  for (let i = 0; i <= last; i++) {
    skips.push(x);
    x = stage(g, x, `${p}layers.${i}`, cfg, i, ratesOf(i), i < rebuilt);
    if (i < last) x = patchMerging(g, x, `${p}layers.${i}.downsample`, stages[i]!.resolution, c * 2 ** i);
  }
  x = swinNorm(g, x, `${p}norm`, c * 2 ** last);

  const features: Tensor[] = [];
  for (let u = 0; u <= last; u++) {
    const i = last - u; // encoder stage this decoder stage mirrors
    const dim = c * 2 ** i;
    if (u === 0) {
      x = patchExpand(g, x, `${p}layers_up.0`, stages[i]!.resolution, dim, 2, dim / 2);
    } else {
      x = swinLinear(g, concat([x, skips[i]!], -1), `${p}concat_back_dim.${u}`, 2 * dim, dim);
      x = stage(g, x, `${p}layers_up.${u}`, cfg, i, ratesOf(i), i < rebuilt);
      if (u < last) x = patchExpand(g, x, `${p}layers_up.${u}.upsample`, stages[i]!.resolution, dim, 2, dim / 2);
    }
    features.push(x);
  }
  const r0 = stages[0]!.resolution;
  const s = cfg.patchSize;
  // The final ×patch expand works at full resolution (B × (r0·patch)² × C); in a training graph with
  // gradientCheckpointing ≥ 1 its intermediates (the expanded tokens, the pixel shuffle, LayerNorm's) are
  // rebuilt in the backward pass (`checkpoint`, docs/engine.md#activation-memory): only the map it
  // returns is kept, by its readers.
  const params = [...swinNormParams(g, `${p}norm_up`, c), ...patchExpandParams(g, `${p}up`, c, s, c)];
  const head = ([x, gamma, beta, ...expand]: Tensor[]) =>
    transpose(reshape(expandWith(layerNorm(x!, gamma!, beta!), expand, r0, s, c), [-1, r0 * s, r0 * s, c]), [0, 3, 1, 2]);
  features[last] = g.training && rebuilt > 0 ? checkpoint([x, ...params], head) : head([x, ...params]);
  return features;
}

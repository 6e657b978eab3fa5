/**
 * The SSL4MIS 2D UNet (`networks/unet.py`), as MCSC uses it (docs/method/networks.md#unet): an encoder of five ConvBlocks
 * with dropout, a decoder of four transposed-conv up blocks, returning the four decoder features
 * [x5 (1/8), x6 (1/4), x7 (1/2), x8 (1/1)]. The segmentation head is separate (`classifier`).
 * Parameter names are the reference state_dict's, so its checkpoints load by name.
 */
import { concat, dropout, leakyRelu, maxPool2d, type Graph, type Tensor, McscError } from '@mcsc/graph';
import { batchNorm, conv, upConv } from './layers.js';

export interface UNetConfig {
  inChannels: number;
  /** Feature channels per level; default [16, 32, 64, 128, 256]. */
  channels?: readonly [number, number, number, number, number];
  /** Encoder dropout per level; default [0.05, 0.1, 0.2, 0.3, 0.5]. */
  dropout?: readonly [number, number, number, number, number];
}

export const UNET_DEFAULTS = { channels: [16, 32, 64, 128, 256], dropout: [0.05, 0.1, 0.2, 0.3, 0.5] } as const;

/** ConvBlock: Conv3×3 → BN → LeakyReLU(0.01) → Dropout(p) → Conv3×3 → BN → LeakyReLU (`conv_conv.0…6`). */
export function convBlock(g: Graph, x: Tensor, name: string, cin: number, cout: number, p: number): Tensor {
  const c = `${name}.conv_conv`;
  let y = leakyRelu(batchNorm(g, conv(g, x, `${c}.0`, cin, cout, { kernel: 3, padding: 1 }), `${c}.1`, cout), 0.01);
  y = dropout(y, p);
  return leakyRelu(batchNorm(g, conv(g, y, `${c}.4`, cout, cout, { kernel: 3, padding: 1 }), `${c}.5`, cout), 0.01);
}

/** Returns the decoder features [x5, x6, x7, x8]; parameter names start with `prefix` (default none). */
export function unet(g: Graph, image: Tensor, config: UNetConfig, prefix = ''): Tensor[] {
  const ch = config.channels ?? UNET_DEFAULTS.channels;
  const p = config.dropout ?? UNET_DEFAULTS.dropout;
  if (image.rank !== 4 || image.shape[1] !== config.inChannels) {
    throw new McscError('UNet', `expected an image [N, ${config.inChannels}, H, W], got [${image.shape.join(', ')}]`);
  }
  if (image.shape[2]! % 16 !== 0 || image.shape[3]! % 16 !== 0) {
    throw new McscError('UNet', `H and W must be multiples of 16 (four 2× poolings), got ${image.shape[2]}×${image.shape[3]}`);
  }
  const enc = `${prefix}encoder`;
  const skips = [convBlock(g, image, `${enc}.in_conv`, config.inChannels, ch[0], p[0])];
  for (let i = 1; i <= 4; i++) {
    const pooled = maxPool2d(skips[i - 1]!, { kernel: 2 });
    skips.push(convBlock(g, pooled, `${enc}.down${i}.maxpool_conv.1`, ch[i - 1]!, ch[i]!, p[i]!));
  }
  const features: Tensor[] = [];
  let x = skips[4]!;
  for (let i = 1; i <= 4; i++) {
    const hi = ch[5 - i]!;
    const lo = ch[4 - i]!;
    const name = `${prefix}decoder.up${i}`;
    const up = upConv(g, x, `${name}.up`, hi, lo);
    x = convBlock(g, concat([skips[4 - i]!, up], 1), `${name}.conv`, 2 * lo, lo, 0);
    features.push(x);
  }
  return features;
}

/** The MCSC segmentation head: Conv3×3(channels → K, pad 1), Xavier-normal weight (`<name>.conv1`). */
export function classifier(g: Graph, features: Tensor, numClasses: number, name = 'classifier'): Tensor {
  return conv(g, features, `${name}.conv1`, features.shape[1]!, numClasses, { kernel: 3, padding: 1, init: 'xavier-normal' });
}

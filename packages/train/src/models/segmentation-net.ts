/** A segmentation network from a model config: backbone features and the classifier's logits. */
import type { Graph, Tensor } from '@mcsc/graph';
import type { ModelConfig } from './model-config.js';
import { swinUnet } from './swin-unet.js';
import { classifier, unet } from './unet.js';

export interface SegmentationNet {
  /** Decoder features, coarse to fine. */
  features: Tensor[];
  /** Class logits [N, K, H, W]. */
  logits: Tensor;
}

/** Build the network of `config` on `image` [N, C, H, W]; the head is `classifier.conv1` (docs/method/networks.md#segmentation-heads). */
export function segmentationNet(g: Graph, image: Tensor, config: ModelConfig): SegmentationNet {
  const features =
    config.arch === 'unet'
      ? unet(g, image, { inChannels: config.inChannels, channels: config.channels, dropout: config.dropout })
      : swinUnet(g, image, config);
  return { features, logits: classifier(g, features[features.length - 1]!, config.numClasses, 'classifier') };
}

/**
 * Keys of reference checkpoints that loading accepts and ignores: heads MCSC does not use, and Swin's
 * buffers that this port rebuilds as constants (relative_position_index, attn_mask).
 */
export const IGNORED_REFERENCE_KEYS: readonly RegExp[] = [
  /^decoder\.out_conv\./,
  /^swin_unet\.output\.weight$/,
  /\.relative_position_index$/,
  /\.attn_mask$/,
];

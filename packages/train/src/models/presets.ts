/**
 * Network presets. `paper`: the UNet and Swin-Tiny at 224 (docs/method/networks.md#presets; the files in models/). `cpu`: the same UNet and a
 * narrower Swin-UNet at 128 px with window 4 and embed 24 and no gradient checkpointing, sized to train in minutes on 2 cores.
 */
import { parseModelConfig, type SwinUNetModelConfig, type UNetModelConfig } from './model-config.js';

export interface NetworkPreset {
  /** Training and evaluation patch size. */
  patchSize: number;
  cnn: UNetModelConfig;
  transformer: SwinUNetModelConfig;
}

export type NetworkPresetName = 'paper' | 'cpu';

export function networkPreset(name: NetworkPresetName, numClasses = 4, inChannels = 1): NetworkPreset {
  const cnn = parseModelConfig({ arch: 'unet', numClasses, inChannels }) as UNetModelConfig;
  const transformer = parseModelConfig(
    name === 'paper'
      ? { arch: 'swin-unet', numClasses, inChannels }
      : { arch: 'swin-unet', numClasses, inChannels, imgSize: 128, embedDim: 24, windowSize: 4, gradientCheckpointing: false },
  ) as SwinUNetModelConfig;
  return { patchSize: transformer.imgSize, cnn, transformer };
}

export { unet, convBlock, classifier, UNET_DEFAULTS, type UNetConfig } from './unet.js';
export { conv, upConv, batchNorm, type ConvOptions } from './layers.js';
export { kaimingUniformA5, fanInBias, xavierNormal, fanIn, fanOut, uniform, constant } from './init.js';
export { swinUnet, swinStages, SWIN_TINY, type SwinUNetConfig } from './swin-unet.js';
export { swinBlock, patchMerging, patchExpand, roll, relativePositionIndex, shiftedWindowMask } from './swin-blocks.js';
export { mapImageNetSwin, loadImageNetSwin, type ImageNetSwinMapping } from './imagenet-swin.js';
export { projectFull, projectEighth, projectorHeads, type ProjectorOptions, type ProjectorScale } from './projectors.js';
export { networkPreset, type NetworkPreset, type NetworkPresetName } from './presets.js';

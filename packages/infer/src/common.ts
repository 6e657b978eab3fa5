/** What the Node and browser entries share: pure TypeScript, no Node modules, no onnxruntime build. */
export { Segmenter, type Segmentation } from './segmenter.js';
export { SegmentationModel, type ModelInfo, type ModelIoOptions } from './model.js';
export type { InferenceRuntime, ModelSource } from './runtime.js';
export type { RuntimeSession, RuntimeTensor, ValueInfo } from '@mcsc/graph';
export { McscError } from '@mcsc/graph';
export { checkImage, type ImageData, type SegmentOptions } from './validate.js';
export { applyGather, nearestIndices, planeGather, resizeNearest2D, type PlaneArray, type ResizeEdge } from './resize.js';
export { normalizeIntensity, parseIntensity, type IntensityMode } from './intensity.js';
export { niftiToStack, stackLayout, stackToNifti, type SliceAxis, type StackLayout } from './volume-layout.js';
export { classColour, classColourCss, imageRange, overlayRgba, type OverlayOptions, type Rgb } from './colormap.js';
export { rgbaToPlanes } from './image-planes.js';
export {
  encodeNifti,
  headerAffine,
  inspectNiftiHeader,
  niftiToFloat32,
  parseNifti,
  NIFTI_MAX_TRAILING_BYTES,
  NIFTI_MAX_VOXELS,
  type NiftiHeaderInfo,
  type NiftiLimits,
  type NiftiData,
  type NiftiHeader,
  type NiftiVolume,
  type NiftiWriteOptions,
} from './nifti.js';
export { crc32, gunzipChecked } from './gzip.js';

/** The data API of @mcsc/train: loaders, the synthetic generator, labeled subsets, splits and augmentation. */
export type { SegmentationDataset, TrainingSlice, ValidationTopUp, Volume } from './types.js';
export {
  CLASSES_FILE,
  checkClassNames,
  classesFromLabels,
  declaredClasses,
  describeClasses,
  generatedClassNames,
  type ClassList,
  type ClassSource,
  type LabelLimit,
} from './classes.js';
export { volumeSlices } from './types.js';
export { checkLabelRange, position, toFloat32, toLabels, type SourceArray } from './convert.js';
export { H5_MAX_DATASET_BYTES, readH5Arrays, type H5Array } from './h5.js';
export { NPZ_MAX_BYTES, parseNpy, parseNpz, readNpz, type NpyArray } from './npy.js';
export { LIST_MAX_BYTES, readList } from './lists.js';
export { JSON_DEFAULT_LIMITS, parseJsonText, readJsonFile, type JsonLimits } from './json-file.js';
export { isInside, resolveInside, type RootOptions } from './paths.js';
export { fileKind, readRegularFile, readRegularFileSync } from '@mcsc/graph/node';
export { ACDC_CLASS_NAMES, acdcPatientId, loadAcdc, readAcdcSlice, readAcdcVolume, type AcdcOptions } from './acdc.js';
export {
  SYNAPSE_CLASS_NAMES,
  loadSynapse,
  readSynapseSlice,
  readSynapseVolume,
  synapseCaseId,
  type SynapseOptions,
} from './synapse.js';
export {
  buildNiftiDataset,
  loadNiftiDataset,
  niftiDatasetConfigSchema,
  type NiftiDatasetConfig,
  type NiftiDatasetOptions,
} from './nifti-dataset.js';
export {
  ACDC_PATIENTS_TO_SLICES,
  acdcLabeledSliceCount,
  selectLabeled,
  type LabeledSelection,
  type LabeledSplit,
} from './labeled.js';
export { splitCases, type CaseSplit, type SplitCounts } from './split.js';
export {
  SYNTHETIC_CARDIAC_CLASS_NAMES,
  generateSyntheticCardiacDataset,
  syntheticCardiacDataset,
  type SyntheticCardiacOptions,
  type SyntheticPatient,
} from './synthetic-cardiac.js';
export {
  applyTransform,
  augmentSlice,
  fitToPatch,
  flipAxis,
  rot90,
  rotateNearest,
  type AugmentOptions,
  type AugmentTransform,
  type SlicePair,
} from './augment.js';

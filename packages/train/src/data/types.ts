/**
 * The in-memory form every data loader produces: 2-D training slices and 3-D evaluation volumes.
 *
 * Arrays are row-major (C order), like the numpy arrays of the reference pipelines: a slice `[H, W]`
 * stores pixel (y, x) at `y·W + x`; a volume `[D, H, W]` stores voxel (z, y, x) at `(z·H + y)·W + x`.
 * Images are float32 in whatever normalisation the source used (ACDC preprocessed: min–max to 0 … 1);
 * labels are class indices 0 … K−1 (0 = background).
 */
import type { ClassSource } from './classes.js';

/** One 2-D training slice with its label map. */
export interface TrainingSlice {
  /** Unique name, e.g. `patient001_frame01_slice_3` (ACDC) or `case0005_slice012` (Synapse). */
  readonly id: string;
  /** The patient / case the slice belongs to; labeled subsets are chosen by it. */
  readonly caseId: string;
  readonly height: number;
  readonly width: number;
  /** Intensities, `[H, W]`. */
  readonly image: Float32Array;
  /** Class indices, `[H, W]`. */
  readonly label: Uint8Array;
}

/** One 3-D volume for validation or testing, evaluated slice by slice along its first axis. */
export interface Volume {
  /** e.g. `patient001_frame01` (ACDC), `case0001` (Synapse). */
  readonly caseId: string;
  /** [D, H, W]. */
  readonly shape: readonly [number, number, number];
  /** Intensities, `[D, H, W]`. */
  readonly image: Float32Array;
  /** Class indices, `[D, H, W]`. */
  readonly label: Uint8Array;
  /** Voxel size in millimetres along [D, H, W], when the source records it. */
  readonly spacing?: readonly [number, number, number];
}

/** A segmentation task: training slices (labeled and unlabeled alike) and evaluation volumes. */
export interface SegmentationDataset {
  readonly name: string;
  /** K, background included. */
  readonly numClasses: number;
  /** K names, index 0 the background. */
  readonly classNames: readonly string[];
  /** Where K and the names came from (data/classes.ts); the loaders set it, hand-built data sets may not. */
  readonly classSource?: ClassSource;
  /** That source in words (`classes.json /data/x/classes.json`, `the ACDC layout's default`, …). */
  readonly classOrigin?: string;
  readonly train: readonly TrainingSlice[];
  readonly val: readonly Volume[];
  readonly test: readonly Volume[];
  /**
   * Set when the data set brought fewer validation volumes than `data.minValVolumes`: which training
   * cases were moved to `val` (trainer/data.ts, `ensureValidation`).
   */
  readonly valFromTrain?: ValidationTopUp;
}

/** Training cases moved to validation so that it has at least `minimum` volumes. */
export interface ValidationTopUp {
  /** `data.minValVolumes` (capped by `data.maxValVolumes`). */
  readonly minimum: number;
  /** Validation volumes the data set itself had. */
  readonly own: number;
  /** The moved cases, each with the volumes it became (appended to `val` in this order). */
  readonly moved: readonly { readonly caseId: string; readonly volumes: readonly string[] }[];
  /** Why fewer than `minimum` could be reached (absent when it was). */
  readonly shortfall?: string;
}

/** The slices of a volume along its first axis, as training slices named `<caseId>_slice_<z>`. */
export function volumeSlices(volume: Volume, caseId: string = volume.caseId): TrainingSlice[] {
  const [d, h, w] = volume.shape;
  const n = h * w;
  const slices: TrainingSlice[] = [];
  for (let z = 0; z < d; z++) {
    slices.push({
      id: `${volume.caseId}_slice_${z}`,
      caseId,
      height: h,
      width: w,
      image: volume.image.slice(z * n, (z + 1) * n),
      label: volume.label.slice(z * n, (z + 1) * n),
    });
  }
  return slices;
}

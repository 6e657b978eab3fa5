/**
 * `mcsc predict` without the command line: NIfTI in, label NIfTI out with the input's geometry
 * (dims, spacing, qform/sform), optional probabilities and PNG overlays. Nothing is written until the
 * whole volume is segmented, and every file is written atomically, so a failure leaves no output.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { IntensityMode } from '../intensity.js';
import type { ModelInfo } from '../model.js';
import type { ResizeEdge } from '../resize.js';
import type { ModelSource } from '../runtime.js';
import { Segmenter } from '../segmenter.js';
import { niftiToFloat32 } from '../nifti.js';
import { niftiToStack, stackLayout, stackToNifti, type SliceAxis } from '../volume-layout.js';
import { readNifti, writeNifti } from './nifti.js';
import { writeOverlayPngs } from './png.js';
import { nodeRuntime } from './runtime.js';

export interface PredictFileOptions {
  /** One model, or several for an ensemble (mean of their probabilities). */
  readonly models: readonly ModelSource[];
  /** A `.nii` / `.nii.gz` volume: [X, Y, Z] or [X, Y, Z, C]. */
  readonly input: string;
  /** The label volume to write (`.nii.gz`: gzipped), uint8 [X, Y, Z]. */
  readonly out: string;
  /** Also write the mean probabilities here, float32 [X, Y, Z, K]. */
  readonly probabilities?: string;
  /** Also write one overlay PNG per slice into this folder. */
  readonly png?: string;
  /** Slice axis (default 2). */
  readonly axis?: SliceAxis;
  /** Default `'minmax'` per volume, as the project's data sets scale their images. */
  readonly intensity?: IntensityMode;
  readonly batchSize?: number;
  readonly edge?: ResizeEdge;
  readonly threads?: number;
  /** Called once the models are loaded and the volume is read. */
  readonly onStart?: (info: { models: readonly ModelInfo[]; slices: number; dims: readonly number[] }) => void;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface PredictFileResult {
  readonly models: readonly ModelInfo[];
  readonly dims: readonly number[];
  /** Voxels per class. */
  readonly counts: readonly number[];
  /** Files written, labels first. */
  readonly written: readonly string[];
}

/** Segments a NIfTI file and writes the results (see the module comment). */
export async function predictFile(options: PredictFileOptions): Promise<PredictFileResult> {
  const { input, out, axis = 2 } = options;
  if (!/\.nii(\.gz)?$/.test(out)) throw new Error(`output ${out}: expected a .nii or .nii.gz file name`);
  if (options.probabilities !== undefined && !/\.nii(\.gz)?$/.test(options.probabilities)) {
    throw new Error(`probabilities output ${options.probabilities}: expected a .nii or .nii.gz file name`);
  }
  const volume = await readNifti(input);
  const layout = stackLayout(volume.dims, axis, `NIfTI file ${input}`);
  const segmenter = await Segmenter.create(nodeRuntime(options.threads !== undefined ? { threads: options.threads } : {}), options.models);
  try {
    if (layout.channels !== segmenter.channels) {
      throw new Error(`NIfTI file ${input}: ${layout.channels} channel${layout.channels === 1 ? '' : 's'} (dims [${volume.dims.join(', ')}]), but the model${options.models.length > 1 ? 's expect' : ' expects'} ${segmenter.channels}; expected [X, Y, Z] for one channel or [X, Y, Z, ${segmenter.channels}]`);
    }
    options.onStart?.({ models: segmenter.modelInfo, slices: layout.shape[0], dims: volume.dims });
    const stack = niftiToStack(niftiToFloat32(volume), layout);
    const result = await segmenter.segmentVolume(stack, layout.shape, {
      intensity: options.intensity ?? 'minmax',
      probabilities: options.probabilities !== undefined,
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(options.edge !== undefined ? { edge: options.edge } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const spatial = [...layout.spatial];
    const written: string[] = [];
    await mkdir(dirname(out), { recursive: true });
    await writeNifti(out, stackToNifti(result.labels, layout, 1), { reference: volume.header, dims: spatial });
    written.push(out);
    if (options.probabilities !== undefined && result.probabilities) {
      await mkdir(dirname(options.probabilities), { recursive: true });
      await writeNifti(options.probabilities, stackToNifti(result.probabilities, layout, result.classes), {
        reference: volume.header, dims: [...spatial, result.classes],
      });
      written.push(options.probabilities);
    }
    if (options.png !== undefined) {
      const [d, c, h, w] = layout.shape;
      const first = new Float32Array(d * h * w);
      for (let z = 0; z < d; z++) first.set(stack.subarray(z * c * h * w, z * c * h * w + h * w), z * h * w);
      written.push(...await writeOverlayPngs(options.png, first, result.labels, [d, h, w]));
    }
    const counts = new Array<number>(result.classes).fill(0);
    for (const l of result.labels) counts[l]!++;
    return { models: segmenter.modelInfo, dims: volume.dims, counts, written };
  } finally {
    await segmenter.release();
  }
}

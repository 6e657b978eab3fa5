/**
 * `mcsc predict` without the command line: NIfTI in, label NIfTI out with the input's geometry
 * (dims, spacing, qform/sform), optional probabilities and PNG overlays.
 *
 * Memory stays near the size of the data: the volume is read once (its header checked against
 * `maxVoxels` before anything is allocated from it), and slices are scaled and segmented a chunk at a
 * time straight from the stored voxels, so no float copy of the whole volume is made; what is kept is
 * the uint8 labels (and, on request, the float32 probabilities, which are an output). docs/limits.md
 * states the limits and the peak.
 *
 * Nothing is written until every output is computed, and then all or none: each file goes to a
 * temporary name next to its target (the overlays to a temporary folder), and only when all of them
 * are written are they renamed into place. If any write fails, every temporary file, every folder this
 * call created and every output already renamed is removed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { imageRange, overlayRgba } from '../colormap.js';
import { normalizeIntensity, type IntensityMode } from '../intensity.js';
import type { ModelInfo } from '../model.js';
import type { ResizeEdge } from '../resize.js';
import type { ModelSource } from '../runtime.js';
import { Segmenter } from '../segmenter.js';
import { encodeNifti, NIFTI_MAX_VOXELS, type NiftiVolume } from '../nifti.js';
import { stackLayout, type SliceAxis, type StackLayout } from '../volume-layout.js';
import { readNifti } from './nifti.js';
import { encodePng } from './png.js';
import { nodeRuntime } from './runtime.js';
import { failedTo, McscError, messageOf } from '@mcsc/graph';

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
  /**
   * Most voxels the input may hold, and most values (voxels × classes) the probabilities may hold;
   * default {@link NIFTI_MAX_VOXELS} (2^29). Larger inputs are refused from their header.
   */
  readonly maxVoxels?: number;
  /**
   * Slices scaled and segmented per step (default: about 4 Mi values' worth, rounded to a multiple of
   * `batchSize`); bounds the float32 working set whatever the volume's size.
   */
  readonly chunkSlices?: number;
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

/** Values (slices × channels × pixels) scaled and segmented per step; a multiple of the batch size. */
const CHUNK_VALUES = 1 << 22;

/** Segments a NIfTI file and writes the results (see the module comment). */
export async function predictFile(options: PredictFileOptions): Promise<PredictFileResult> {
  const { input, out, axis = 2 } = options;
  const maxVoxels = options.maxVoxels ?? NIFTI_MAX_VOXELS;
  if (!/\.nii(\.gz)?$/.test(out)) throw new McscError(`output ${out}`, 'expected a .nii or .nii.gz file name');
  if (options.probabilities !== undefined && !/\.nii(\.gz)?$/.test(options.probabilities)) {
    throw new McscError(`probabilities output ${options.probabilities}`, 'expected a .nii or .nii.gz file name');
  }
  const intensity = options.intensity ?? 'minmax';
  normalizeIntensity(new Float32Array(0), intensity); // validates a window before anything is loaded
  const volume = await readNifti(input, { maxVoxels });
  const layout = stackLayout(volume.dims, axis, `NIfTI file ${input}`);
  const segmenter = await Segmenter.create(nodeRuntime(options.threads !== undefined ? { threads: options.threads } : {}), options.models);
  try {
    if (layout.channels !== segmenter.channels) {
      throw new McscError(
        `NIfTI file ${input}`,
        `${layout.channels} channel${layout.channels === 1 ? '' : 's'} (dims [${volume.dims.join(', ')}]), but the model${options.models.length > 1 ? 's expect' : ' expects'} ${segmenter.channels}; expected [X, Y, Z] for one channel or [X, Y, Z, ${segmenter.channels}]`,
      );
    }
    const [X, Y, Z] = layout.spatial;
    const spatialCount = X * Y * Z;
    const k = segmenter.classes;
    if (options.probabilities !== undefined && spatialCount * k > maxVoxels) {
      throw new McscError(
        `probabilities output ${options.probabilities}`,
        `${X}×${Y}×${Z} voxels × ${k} classes = ${spatialCount * k} float32 values, more than the limit of ${maxVoxels} (maxVoxels; see docs/limits.md); leave the probabilities out or raise the limit`,
      );
    }
    const values = new VoxelReader(volume, layout);
    const window = values.scan(input, intensity); // one pass: finite check, min/max, overlay window
    options.onStart?.({ models: segmenter.modelInfo, slices: layout.shape[0], dims: volume.dims });

    const [d, c, h, w] = layout.shape;
    const batch = options.batchSize ?? 16;
    const chunk = options.chunkSlices ?? batch * Math.max(1, Math.floor(CHUNK_VALUES / (batch * c * h * w)));
    if (!Number.isInteger(chunk) || chunk < 1) throw new McscError('predictFile', `chunkSlices must be a positive integer, got ${chunk}`);
    const labels = new Uint8Array(spatialCount);
    const probabilities = options.probabilities !== undefined ? new Float32Array(spatialCount * k) : undefined;
    for (let z0 = 0; z0 < d; z0 += chunk) {
      const count = Math.min(chunk, d - z0);
      const result = await segmenter.segmentVolume(values.slices(z0, count, window.scale), [count, c, h, w], {
        intensity: 'none',
        probabilities: probabilities !== undefined,
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        ...(options.edge !== undefined ? { edge: options.edge } : {}),
        ...(options.onProgress ? { onProgress: (done: number) => options.onProgress!(z0 + done, d) } : {}),
      });
      values.scatter(result.labels, labels, z0, count, 1);
      if (probabilities) values.scatter(result.probabilities!, probabilities, z0, count, k);
    }

    const counts = new Array<number>(k).fill(0);
    for (const l of labels) counts[l]!++;
    const spatial = [X, Y, Z];
    const outputs = new OutputSet();
    try {
      await outputs.file(
        out,
        encodeNifti(labels, { reference: volume.header, dims: spatial }, out.endsWith('.gz'), `NIfTI file ${out}`),
        `NIfTI file ${out}`,
      );
      if (options.probabilities !== undefined) {
        const p = options.probabilities;
        await outputs.file(
          p,
          encodeNifti(probabilities!, { reference: volume.header, dims: [...spatial, k] }, p.endsWith('.gz'), `NIfTI file ${p}`),
          `NIfTI file ${p}`,
        );
      }
      if (options.png !== undefined) {
        const folder = await outputs.folder(options.png, `PNG folder ${options.png}`);
        const digits = Math.max(3, String(d - 1).length);
        for (let z = 0; z < d; z++) {
          const rgba = overlayRgba(values.firstChannel(z), values.gather(labels, z), h, w, { window: window.overlay });
          await folder.add(`slice_${String(z).padStart(digits, '0')}.png`, encodePng(rgba, w, h));
        }
      }
      const written = await outputs.commit();
      return { models: segmenter.modelInfo, dims: volume.dims, counts, written };
    } catch (e) {
      await outputs.abandon();
      throw e;
    }
  } finally {
    await segmenter.release();
  }
}

/** Reads slices of the stack [D, C, H, W] straight from a volume's stored voxels (NIfTI order). */
class VoxelReader {
  private readonly strides: readonly [number, number, number];
  private readonly channelStride: number;
  private readonly slope: number;
  private readonly inter: number;
  private readonly scaled: boolean;

  constructor(
    private readonly volume: NiftiVolume,
    private readonly layout: StackLayout,
  ) {
    const [X, Y, Z] = layout.spatial;
    const all = [1, X, X * Y];
    const others = ([2, 1, 0] as const).filter((a) => a !== layout.axis);
    this.strides = [all[layout.axis]!, all[others[0]!]!, all[others[1]!]!];
    this.channelStride = X * Y * Z;
    const { sclSlope, sclInter } = volume.header;
    this.scaled = Number.isFinite(sclSlope) && sclSlope !== 0;
    this.slope = sclSlope;
    this.inter = sclInter;
  }

  /** The stored value scaled to float32, as `niftiToFloat32` gives it. */
  private value(i: number): number {
    const v = this.volume.data[i]!;
    return Math.fround(this.scaled ? v * this.slope + this.inter : v);
  }

  /**
   * One pass over every voxel: refuses non-finite values (naming the voxel), and returns the scaling
   * `mode` asks for (min–max over the whole volume, as `normalizeIntensity`) and the first channel's
   * range, the overlays' grey window.
   */
  scan(source: string, mode: IntensityMode): { scale: (v: number) => number; overlay: [number, number] } {
    const n = this.volume.data.length;
    let lo = Infinity;
    let hi = -Infinity;
    let firstLo = Infinity;
    let firstHi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = this.value(i);
      if (!Number.isFinite(v)) {
        const [X, Y, Z] = this.layout.spatial;
        const at = [i % X, Math.floor(i / X) % Y, Math.floor(i / (X * Y)) % Z];
        const channel = this.layout.channels > 1 ? `, channel ${Math.floor(i / (X * Y * Z))}` : '';
        throw new McscError(`NIfTI file ${source}`, `voxel (${at.join(', ')})${channel} is ${v}, expected finite values`);
      }
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      if (i < this.channelStride) {
        if (v < firstLo) firstLo = v;
        if (v > firstHi) firstHi = v;
      }
    }
    const overlay: [number, number] = firstLo <= firstHi ? [firstLo, firstHi] : imageRange([]);
    if (mode === 'none') return { scale: (v) => v, overlay };
    const [a, b] = mode === 'minmax' ? [lo, hi] : mode;
    const s = b > a ? 1 / (b - a) : 0;
    return { scale: (v) => Math.min(1, Math.max(0, (v - a) * s)), overlay };
  }

  /** Slices z0 … z0 + count − 1 as [count, C, H, W] float32, each value through `scale`. */
  slices(z0: number, count: number, scale: (v: number) => number): Float32Array {
    const [, c, h, w] = this.layout.shape;
    const [sd, sh, sw] = this.strides;
    const out = new Float32Array(count * c * h * w);
    let o = 0;
    for (let z = z0; z < z0 + count; z++) {
      for (let ch = 0; ch < c; ch++) {
        for (let y = 0; y < h; y++) {
          const base = z * sd + ch * this.channelStride + y * sh;
          for (let x = 0; x < w; x++, o++) out[o] = scale(this.value(base + x * sw));
        }
      }
    }
    return out;
  }

  /** Slice z of the first channel, unscaled, [H, W]. */
  firstChannel(z: number): Float32Array {
    const [, , h, w] = this.layout.shape;
    const [sd, sh, sw] = this.strides;
    const out = new Float32Array(h * w);
    for (let y = 0, o = 0; y < h; y++) for (let x = 0; x < w; x++, o++) out[o] = this.value(z * sd + y * sh + x * sw);
    return out;
  }

  /** Slice z of a spatial (one-channel, NIfTI-ordered) array, [H, W]. */
  gather(data: Uint8Array, z: number): Uint8Array {
    const [, , h, w] = this.layout.shape;
    const [sd, sh, sw] = this.strides;
    const out = new Uint8Array(h * w);
    for (let y = 0, o = 0; y < h; y++) for (let x = 0; x < w; x++, o++) out[o] = data[z * sd + y * sh + x * sw]!;
    return out;
  }

  /** Writes a [count, channels, H, W] result for slices z0 … into NIfTI order [X, Y, Z, channels]. */
  scatter<T extends Uint8Array | Float32Array>(from: T, to: T, z0: number, count: number, channels: number): void {
    const [, , h, w] = this.layout.shape;
    const [sd, sh, sw] = this.strides;
    let o = 0;
    for (let z = z0; z < z0 + count; z++) {
      for (let ch = 0; ch < channels; ch++) {
        for (let y = 0; y < h; y++) {
          const base = z * sd + ch * this.channelStride + y * sh;
          for (let x = 0; x < w; x++, o++) to[base + x * sw] = from[o]!;
        }
      }
    }
  }
}

/** Outputs written to temporary names, renamed into place together, or all removed. */
class OutputSet {
  /** [temporary, final] pairs of files, and of overlay folders renamed whole. */
  private readonly staged: { tmp: string; target: string; merge?: string[] }[] = [];
  /** Folders this call created (the first new one of each mkdir), removed on failure. */
  private readonly created: string[] = [];
  private readonly committed: string[] = [];

  private async ensureDir(dir: string, what: string): Promise<void> {
    const first = await mkdir(dir, { recursive: true }).catch((e: unknown) => {
      throw new McscError(what, `cannot create folder ${dir}: ${messageOf(e)}`, { cause: e });
    });
    if (first !== undefined) this.created.push(first);
  }

  /** Writes `bytes` to a temporary file next to `target`. */
  async file(target: string, bytes: Uint8Array, what: string): Promise<void> {
    await this.ensureDir(dirname(target), what);
    const tmp = tempName(target);
    this.staged.push({ tmp, target });
    await writeFile(tmp, bytes, { flag: 'wx' }).catch((e: unknown) => {
      throw failedTo(what, 'cannot write', e);
    });
  }

  /** A temporary folder next to `target`; its files are moved into `target` on commit. */
  async folder(target: string, what: string): Promise<{ add(name: string, bytes: Uint8Array): Promise<void> }> {
    const existing = await stat(target).catch(() => undefined);
    if (existing && !existing.isDirectory()) throw new McscError(what, 'exists and is not a folder');
    await this.ensureDir(dirname(target), what);
    const tmp = tempName(target);
    await mkdir(tmp).catch((e: unknown) => {
      throw failedTo(what, 'cannot create a temporary folder', e);
    });
    const entry: { tmp: string; target: string; merge?: string[] } = { tmp, target, ...(existing ? { merge: [] } : {}) };
    this.staged.push(entry);
    return {
      add: async (name, bytes) => {
        await writeFile(join(tmp, name), bytes, { flag: 'wx' }).catch((e: unknown) => {
          throw new McscError(what, `cannot write ${name}: ${messageOf(e)}`, { cause: e });
        });
        entry.merge?.push(name);
      },
    };
  }

  /** Renames everything into place; returns the files written (overlays one by one). */
  async commit(): Promise<string[]> {
    const written: string[] = [];
    for (const s of this.staged) {
      if (s.merge) {
        for (const name of s.merge) {
          await rename(join(s.tmp, name), join(s.target, name));
          this.committed.push(join(s.target, name));
          written.push(join(s.target, name));
        }
        await rmdir(s.tmp);
      } else {
        await rename(s.tmp, s.target);
        this.committed.push(s.target);
        if ((await stat(s.target)).isDirectory()) written.push(...(await readdir(s.target)).sort().map((f) => join(s.target, f)));
        else written.push(s.target);
      }
    }
    return written;
  }

  /** Removes temporary files, outputs already renamed and folders this call created. */
  async abandon(): Promise<void> {
    for (const p of [...this.staged.map((s) => s.tmp), ...this.committed, ...this.created.reverse()]) {
      await rm(p, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

function tempName(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

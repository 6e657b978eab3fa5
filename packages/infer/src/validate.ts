/**
 * Checks of what callers hand to the segmenter. Each error names the argument, the value it got and
 * what was expected, in the style of onnxruntime-common (TypeError for a wrong kind of value,
 * RangeError for a wrong size).
 */
import type { IntensityMode } from './intensity.js';
import type { ResizeEdge } from './resize.js';
import { McscError } from '@mcsc/graph';

/** Pixel or voxel values: any numeric typed array (or a plain number array). */
export type ImageData = ArrayLike<number>;

/** A stack of slices as the segmenter works on it: [N, C, H, W]. */
export interface CheckedStack {
  readonly data: ImageData;
  readonly n: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/**
 * Checks `data` against `shape` and the model's channel count. `stacked`: the first axis counts slices
 * ([N, H, W] or [N, C, H, W]); otherwise one slice ([H, W] or [C, H, W]).
 */
export function checkImage(fn: string, data: ImageData, shape: readonly number[], stacked: boolean, channels: number): CheckedStack {
  const names = stacked ? '[N, H, W] or [N, C, H, W]' : '[H, W] or [C, H, W]';
  if (!ArrayBuffer.isView(data) && !Array.isArray(data)) {
    throw new McscError(fn, `image must be a typed array or an array of numbers, got ${describeValue(data)}`);
  }
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new McscError(fn, `shape must be an array of positive integers ${names}, got ${JSON.stringify(shape)}`);
  }
  const rank = shape.length - (stacked ? 1 : 0);
  if (rank !== 2 && rank !== 3) throw new McscError(fn, `shape [${shape.join(', ')}] has rank ${shape.length}, expected ${names}`);
  const n = stacked ? shape[0]! : 1;
  const [c, h, w] = rank === 2 ? [1, shape.at(-2)!, shape.at(-1)!] : [shape.at(-3)!, shape.at(-2)!, shape.at(-1)!];
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new McscError(fn, `image holds ${data.length} values, expected ${size} for shape [${shape.join(', ')}]`);
  if (c !== channels) {
    throw new McscError(
      fn,
      `image has ${c} channel${c === 1 ? '' : 's'} (shape [${shape.join(', ')}]), the model${channels === 1 ? '' : 's'} expect${channels === 1 ? 's' : ''} ${channels}`,
    );
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      const x = i % w;
      const y = Math.floor(i / w) % h;
      const ch = Math.floor(i / (w * h)) % c;
      const s = Math.floor(i / (w * h * c));
      throw new McscError(
        fn,
        `image value ${v} at index ${i} (${stacked ? `slice ${s}, ` : ''}channel ${ch}, y ${y}, x ${x}); expected finite numbers`,
      );
    }
  }
  return { data, n, channels: c, height: h, width: w };
}

/** Options shared by the segmenter's methods. */
export interface SegmentOptions {
  /** Slices per onnxruntime run (default 16). */
  readonly batchSize?: number;
  /** Also return the (ensemble-mean) class probabilities. Default false: labels only. */
  readonly probabilities?: boolean;
  /** Scaling applied before the network (default `'none'`: the caller's values as they are). */
  readonly intensity?: IntensityMode;
  /** Order-0 resize edge rule (default `'scipy'`, as the reference). */
  readonly edge?: ResizeEdge;
  /** Called after every batch with the slices done so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Checks the options object and fills in defaults. */
export function checkOptions(
  fn: string,
  options: SegmentOptions,
): Required<Omit<SegmentOptions, 'onProgress'>> & Pick<SegmentOptions, 'onProgress'> {
  if (typeof options !== 'object' || options === null) throw new McscError(fn, `options must be an object, got ${describeValue(options)}`);
  const known = new Set(['batchSize', 'probabilities', 'intensity', 'edge', 'onProgress']);
  const unknown = Object.keys(options).filter((k) => !known.has(k));
  if (unknown.length)
    throw new McscError(fn, `unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; expected ${[...known].join(', ')}`);
  const { batchSize = 16, probabilities = false, intensity = 'none', edge = 'scipy', onProgress } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new McscError(fn, `batchSize must be a positive integer, got ${batchSize}`);
  if (typeof probabilities !== 'boolean')
    throw new McscError(fn, `probabilities must be true or false, got ${describeValue(probabilities)}`);
  if (edge !== 'scipy' && edge !== 'clamp') throw new McscError(fn, `edge must be 'scipy' or 'clamp', got ${JSON.stringify(edge)}`);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new McscError(fn, 'onProgress must be a function');
  return { batchSize, probabilities, intensity, edge, ...(onProgress ? { onProgress } : {}) };
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return `${typeof v} ${String(v)}`;
}

/**
 * Intensity normalisation before the network. The project's data sets scale each volume to 0 … 1
 * (min–max over the whole volume; SSL4MIS ACDC ships that way, the NIfTI data set does it on load), so
 * a raw scan must be scaled the same way before a model trained on them sees it.
 */
import { McscError } from '@mcsc/graph';

/** `'minmax'`: per volume to 0 … 1; `'none'`: as given; `[lo, hi]`: a fixed window clipped to 0 … 1. */
export type IntensityMode = 'minmax' | 'none' | readonly [number, number];

/** Returns a new Float32Array of `data` scaled by `mode` (a constant volume maps to 0). */
export function normalizeIntensity(data: ArrayLike<number>, mode: IntensityMode): Float32Array {
  const out = Float32Array.from(data);
  if (mode === 'none') return out;
  let lo: number;
  let hi: number;
  if (mode === 'minmax') {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < out.length; i++) {
      const v = out[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  } else {
    if (!Array.isArray(mode) || mode.length !== 2 || !(mode[1] > mode[0])) {
      throw new McscError('intensity', `expected 'minmax', 'none' or a window [lo, hi] with hi > lo, got ${JSON.stringify(mode)}`);
    }
    [lo, hi] = mode;
  }
  const scale = hi > lo ? 1 / (hi - lo) : 0;
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, (out[i]! - lo) * scale));
  return out;
}

/** Parses the CLI / URL spelling of a mode: `minmax`, `none` or `lo,hi`. */
export function parseIntensity(text: string): IntensityMode {
  if (text === 'minmax' || text === 'none') return text;
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length === 2 && parts.every(Number.isFinite) && parts[1]! > parts[0]!) return [parts[0]!, parts[1]!];
  throw new McscError('intensity', `expected 'minmax', 'none' or 'lo,hi' with hi > lo, got '${text}'`);
}

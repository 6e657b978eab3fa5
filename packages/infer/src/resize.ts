/**
 * Order-0 (nearest-neighbour) resize of 2-D planes with the semantics of
 * `scipy.ndimage.zoom(x, (outH / h, outW / w), order=0)`, which the reference evaluation uses on every
 * slice on the way into the network and on the label map on the way back (docs/method/evaluation.md#resizing).
 *
 * Per axis scipy samples input coordinate `c = k · (in − 1) / (out − 1)` (scale 1 when `out == 1`) and
 * reads index `floor(c + 0.5)`. With its default `mode='constant'` a coordinate that rounds one ulp past
 * `in − 1` (e.g. 232 → 224) reads the constant 0 instead: `edge: 'scipy'` (default) reproduces that, as
 * @mcsc/core's `zoomNearest` and the trainer's evaluation do; `edge: 'clamp'` reads the last sample.
 * The index rule itself is @mcsc/graph's `nearestIndices` (pure, browser-safe), the one that @mcsc/core's
 * zoom and the trainer use too; this file builds 2-D gathers from it. `nearestIndices` is re-exported here
 * for @mcsc/infer's users.
 */
import { nearestIndices, type NearestEdge, McscError } from '@mcsc/graph';

export { nearestIndices };

/** How a coordinate that rounds past the last input sample is treated (@mcsc/graph's `NearestEdge`). */
export type ResizeEdge = NearestEdge;

/** Typed arrays a plane can be held in. */
export type PlaneArray = Float32Array | Float64Array | Uint8Array | Int16Array | Uint16Array | Int32Array;

/**
 * Flat source offsets of an `outH × outW` plane read from an `h × w` plane (row-major), −1 for "write 0".
 * Built once per (size pair) and reused for every slice and channel.
 */
export function planeGather(h: number, w: number, outH: number, outW: number, edge: ResizeEdge = 'scipy'): Int32Array {
  const rows = nearestIndices(h, outH, edge);
  const cols = nearestIndices(w, outW, edge);
  const gather = new Int32Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const r = rows[y]!;
    for (let x = 0; x < outW; x++) {
      const c = cols[x]!;
      gather[y * outW + x] = r < 0 || c < 0 ? -1 : r * w + c;
    }
  }
  return gather;
}

/** Writes `src[offset + gather[i]]` (0 where gather is −1) into `dst[dstOffset + i]`. */
export function applyGather(src: ArrayLike<number>, srcOffset: number, gather: Int32Array, dst: PlaneArray, dstOffset: number): void {
  for (let i = 0; i < gather.length; i++) {
    const s = gather[i]!;
    dst[dstOffset + i] = s < 0 ? 0 : src[srcOffset + s]!;
  }
}

/** Resizes one `h × w` plane to `outH × outW` (order 0); the result has the type of `src`. */
export function resizeNearest2D<T extends PlaneArray>(
  src: T,
  h: number,
  w: number,
  outH: number,
  outW: number,
  edge: ResizeEdge = 'scipy',
): T {
  if (src.length !== h * w) throw new McscError('resizeNearest2D', `src holds ${src.length} values, expected h·w = ${h}·${w} = ${h * w}`);
  // A typed array's constructor builds the same type; TypeScript cannot express that on a union.
  const out = new (src.constructor as new (n: number) => T)(outH * outW);
  applyGather(src, 0, planeGather(h, w, outH, outW, edge), out, 0);
  return out;
}

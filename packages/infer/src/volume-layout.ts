/**
 * NIfTI voxel order ↔ the [D, C, H, W] slice stacks the segmenter takes. A NIfTI volume is stored x
 * fastest (index = i + X·(j + Y·(k + Z·c))), so dims [X, Y, Z, C] are the C-order array [C, Z, Y, X].
 * Slices are cut along one voxel axis with the layout of @mcsc/train's NIfTI data set, so a model
 * trained there sees the same orientation: D = `axis`, then the two other axes, slower one first —
 * axis 2 gives [k, j, i] (the file's own order), axis 0 gives [i, k, j], axis 1 gives [j, k, i].
 */
import { McscError } from '@mcsc/graph';

/** NIfTI voxel axis to slice along: 0 = i, 1 = j, 2 = k (default, the usual slice axis of MR). */
export type SliceAxis = 0 | 1 | 2;

/** Sizes of a NIfTI volume's slice stack. */
export interface StackLayout {
  /** [X, Y, Z]; a 2-D image has Z = 1. */
  readonly spatial: readonly [number, number, number];
  /** The 4th dimension (1 when absent). */
  readonly channels: number;
  /** [D, C, H, W] of the stack. */
  readonly shape: readonly [number, number, number, number];
  readonly axis: SliceAxis;
}

/** The stack layout of NIfTI `dims`; `source` names the file in errors. */
export function stackLayout(dims: readonly number[], axis: SliceAxis, source: string): StackLayout {
  if (dims.length < 2 || dims.length > 4 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new McscError(source, `dims [${dims.join(', ')}], expected a 2-D, 3-D or 4-D (channels last) image`);
  }
  if (axis !== 0 && axis !== 1 && axis !== 2) throw new McscError(source, `slice axis ${String(axis)}, expected 0, 1 or 2`);
  const spatial: [number, number, number] = [dims[0]!, dims[1]!, dims[2] ?? 1];
  const channels = dims[3] ?? 1;
  const others = ([2, 1, 0] as const).filter((a) => a !== axis);
  return { spatial, channels, axis, shape: [spatial[axis], channels, spatial[others[0]!], spatial[others[1]!]] };
}

/** Copies NIfTI-ordered voxels into a [D, C, H, W] stack (Float32). */
export function niftiToStack(data: ArrayLike<number>, layout: StackLayout): Float32Array {
  const out = new Float32Array(data.length);
  walk(layout, (niftiIndex, stackIndex) => {
    out[stackIndex] = data[niftiIndex]!;
  });
  return out;
}

/** Copies a [D, C, H, W] stack back into NIfTI order (dims [X, Y, Z, C]; C = 1 gives [X, Y, Z]). */
export function stackToNifti<T extends Uint8Array | Float32Array>(stack: T, layout: StackLayout, channels = layout.channels): T {
  const resized: StackLayout = { ...layout, channels, shape: [layout.shape[0], channels, layout.shape[2], layout.shape[3]] };
  // A typed array's constructor builds the same type; TypeScript cannot express that on a union.
  const out = new (stack.constructor as new (n: number) => T)(stack.length);
  walk(resized, (niftiIndex, stackIndex) => {
    out[niftiIndex] = stack[stackIndex]!;
  });
  return out;
}

/** Calls `visit(niftiIndex, stackIndex)` for every voxel, stack index increasing. */
function walk(layout: StackLayout, visit: (niftiIndex: number, stackIndex: number) => void): void {
  const [X, Y, Z] = layout.spatial;
  const [d, c, h, w] = layout.shape;
  const strides = [1, X, X * Y];
  const channelStride = X * Y * Z;
  const others = ([2, 1, 0] as const).filter((a) => a !== layout.axis);
  const [sd, sh, sw] = [strides[layout.axis]!, strides[others[0]!]!, strides[others[1]!]!];
  let o = 0;
  for (let z = 0; z < d; z++) {
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        const base = z * sd + ch * channelStride + y * sh;
        for (let x = 0; x < w; x++, o++) visit(base + x * sw, o);
      }
    }
  }
}

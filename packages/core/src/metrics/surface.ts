/**
 * Surface voxels as medpy extracts them (`__surface_distances`): the mask minus its binary erosion by
 * the connectivity-1 structuring element (`scipy.ndimage.generate_binary_structure(ndim, 1)`, one
 * neighbour each way along each axis), with scipy's default `border_value=0`: outside the array counts
 * as background, so every foreground voxel on the array border is a surface voxel (and in a volume one
 * slice thick, every foreground voxel is).
 */

/**
 * @param mask contiguous row-major 0/1 mask of shape `shape`.
 * @returns a 0/1 mask of the same length: 1 where `mask` is 1 and some axis neighbour is 0 or outside.
 */
export function surfaceMask(mask: Uint8Array, shape: readonly number[]): Uint8Array {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let s = 1;
  for (let axis = rank - 1; axis >= 0; axis--) {
    strides[axis] = s;
    s *= shape[axis]!;
  }
  const out = new Uint8Array(mask.length);
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) {
      let surface = false;
      for (let axis = 0; axis < rank && !surface; axis++) {
        const c = coord[axis]!;
        const st = strides[axis]!;
        surface = c === 0 || c === shape[axis]! - 1 || mask[i - st] === 0 || mask[i + st] === 0;
      }
      if (surface) out[i] = 1;
    }
    for (let axis = rank - 1; axis >= 0; axis--) {
      coord[axis]!++;
      if (coord[axis]! < shape[axis]!) break;
      coord[axis] = 0;
    }
  }
  return out;
}

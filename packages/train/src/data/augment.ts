/**
 * Training augmentation (docs/method/data.md#augmentation), as SSL4MIS's `RandomGenerator` for ACDC does it:
 *
 * - with probability 0.5: `np.rot90(x, k)`, k uniform in 0 … 3, then `np.flip` on a random axis (0 or 1);
 * - otherwise, with probability 0.5: `scipy.ndimage.rotate(x, angle, order=0, reshape=False)`, angle a
 *   uniform integer in [−20, 20) degrees: rotation about the array centre ((H−1)/2, (W−1)/2), nearest
 *   neighbour, 0 outside the input;
 * - then an order-0 zoom to the patch size (`scipy.ndimage.zoom`, see `zoomNearest2D` in @mcsc/core).
 *
 * Image and label always receive the same geometry. Random draws come from a seeded {@link Random},
 * in the order: the rot/flip coin, then k and the axis, or the rotate coin and the angle.
 */
import { zoomNearest2D, type Random } from '@mcsc/core';
import { McscError } from '@mcsc/graph';

// Math's functions as module constants: hot loops then avoid a global lookup per call, which is slow
// when code runs inside a vm context (as under jest).
const { PI, cos, floor, sin } = Math;

/** A 2-D slice, row-major `[height, width]`. */
export interface SlicePair {
  readonly height: number;
  readonly width: number;
  readonly image: Float32Array;
  readonly label: Uint8Array;
}

/** The geometric transform that was drawn (before the zoom to the patch size). */
export type AugmentTransform =
  | { readonly kind: 'none' }
  | { readonly kind: 'rot90-flip'; readonly k: number; readonly axis: 0 | 1 }
  | { readonly kind: 'rotate'; readonly angle: number };

export interface AugmentOptions {
  /** Probability of the rot90 + flip branch (default 0.5). */
  readonly rotFlipProbability?: number;
  /** Probability of a small rotation when rot90 + flip was not drawn (default 0.5). */
  readonly rotateProbability?: number;
  /** Angles are integers in [−maxAngle, maxAngle) degrees (default 20). */
  readonly maxAngle?: number;
}

/** Augments a slice and zooms it to `patch` = [height, width]. */
export function augmentSlice(
  slice: SlicePair,
  patch: readonly [number, number],
  rng: Random,
  options: AugmentOptions = {},
): SlicePair & { readonly transform: AugmentTransform } {
  const { rotFlipProbability = 0.5, rotateProbability = 0.5, maxAngle = 20 } = options;
  checkSlice('augmentSlice', slice);
  let transform: AugmentTransform = { kind: 'none' };
  // SSL4MIS: `if random.random() > 0.5: rot_flip  elif random.random() > 0.5: rotate`.
  if (rng.uniform() < rotFlipProbability) {
    transform = { kind: 'rot90-flip', k: rng.int(4), axis: rng.int(2) as 0 | 1 };
  } else if (rng.uniform() < rotateProbability) {
    transform = { kind: 'rotate', angle: rng.intRange(-maxAngle, maxAngle) };
  }
  const moved = applyTransform(slice, transform);
  return { ...fitToPatch(moved, patch), transform };
}

/** Applies a drawn transform to image and label alike. */
export function applyTransform(slice: SlicePair, transform: AugmentTransform): SlicePair {
  const { height: h, width: w } = slice;
  switch (transform.kind) {
    case 'none':
      return slice;
    case 'rot90-flip': {
      const image = flip(rot90(slice.image, h, w, transform.k), transform.k, h, w, transform.axis);
      const label = flip(rot90(slice.label, h, w, transform.k), transform.k, h, w, transform.axis);
      const swap = transform.k % 2 === 1;
      return { height: swap ? w : h, width: swap ? h : w, image, label };
    }
    case 'rotate':
      return {
        height: h,
        width: w,
        image: rotateNearest(slice.image, h, w, transform.angle),
        label: rotateNearest(slice.label, h, w, transform.angle),
      };
  }
}

/** Order-0 zoom of image and label to `patch` = [height, width] (no copy when already that size). */
export function fitToPatch(slice: SlicePair, patch: readonly [number, number]): SlicePair {
  const [ph, pw] = patch;
  if (!Number.isInteger(ph) || !Number.isInteger(pw) || ph < 1 || pw < 1) {
    throw new McscError('fitToPatch', `patch must be two positive integers [height, width], got [${patch.join(', ')}]`);
  }
  if (slice.height === ph && slice.width === pw) return slice;
  return {
    height: ph,
    width: pw,
    image: zoomNearest2D(slice.image, slice.height, slice.width, ph, pw),
    label: zoomNearest2D(slice.label, slice.height, slice.width, ph, pw),
  };
}

type Pixels = Float32Array | Uint8Array;

function like<T extends Pixels>(src: T, n: number): T {
  // A typed array's constructor builds the same type; TypeScript cannot express that on a union.
  return new (src.constructor as new (n: number) => T)(n);
}

/** `np.rot90(x, k)`: k quarter turns counter-clockwise; odd k gives shape [w, h]. */
export function rot90<T extends Pixels>(src: T, h: number, w: number, k: number): T {
  const kk = ((k % 4) + 4) % 4;
  const out = like(src, h * w);
  if (kk === 0) {
    out.set(src);
  } else if (kk === 1) {
    // out [w, h]: out[i][j] = src[j][w − 1 − i]
    for (let i = 0; i < w; i++) for (let j = 0; j < h; j++) out[i * h + j] = src[j * w + (w - 1 - i)]!;
  } else if (kk === 2) {
    // out [h, w]: out[i][j] = src[h − 1 − i][w − 1 − j]
    for (let i = 0; i < h * w; i++) out[i] = src[h * w - 1 - i]!;
  } else {
    // out [w, h]: out[i][j] = src[h − 1 − j][i]
    for (let i = 0; i < w; i++) for (let j = 0; j < h; j++) out[i * h + j] = src[(h - 1 - j) * w + i]!;
  }
  return out;
}

/** `np.flip(x, axis)` of the rot90 result (its shape follows from k, h, w), in place. */
function flip<T extends Pixels>(x: T, k: number, h: number, w: number, axis: 0 | 1): T {
  const [rows, cols] = k % 2 === 1 ? [w, h] : [h, w];
  return flipAxis(x, rows, cols, axis);
}

/** `np.flip(x, axis)` for an array of shape [rows, cols], in place. */
export function flipAxis<T extends Pixels>(x: T, rows: number, cols: number, axis: 0 | 1): T {
  if (axis === 0) {
    for (let r = 0; r < rows >> 1; r++) {
      const a = r * cols;
      const b = (rows - 1 - r) * cols;
      for (let c = 0; c < cols; c++) {
        const t = x[a + c]!;
        x[a + c] = x[b + c]!;
        x[b + c] = t;
      }
    }
  } else {
    for (let r = 0; r < rows; r++) x.subarray(r * cols, (r + 1) * cols).reverse();
  }
  return x;
}

/**
 * `scipy.ndimage.rotate(x, angle, order=0, reshape=False, mode='constant', cval)`: output pixel (r, q)
 * reads input (c·(r−cr) + s·(q−cq) + cr, −s·(r−cr) + c·(q−cq) + cq) with c = cos, s = sin of the angle
 * in degrees and (cr, cq) = ((h−1)/2, (w−1)/2), rounded by floor(x + 0.5); a coordinate outside
 * [0, h−1] × [0, w−1] gives `cval`. (Checked against scipy 1.17 on random shapes and angles.)
 */
export function rotateNearest<T extends Pixels>(src: T, h: number, w: number, angle: number, cval = 0): T {
  const c = cosDegrees(angle);
  const s = sinDegrees(angle);
  const cr = (h - 1) / 2;
  const cq = (w - 1) / 2;
  const out = like(src, h * w);
  for (let r = 0; r < h; r++) {
    const dr = r - cr;
    for (let q = 0; q < w; q++) {
      const dq = q - cq;
      const ir = c * dr + s * dq + cr;
      const iq = -s * dr + c * dq + cq;
      out[r * w + q] = ir < 0 || ir > h - 1 || iq < 0 || iq > w - 1 ? cval : src[floor(ir + 0.5) * w + floor(iq + 0.5)]!;
    }
  }
  return out;
}

/** cos and sin of an angle in degrees, exact at multiples of 90° (as scipy's `cosdg` / `sindg`). */
function cosDegrees(deg: number): number {
  const m = ((deg % 360) + 360) % 360;
  return m === 0 ? 1 : m === 90 || m === 270 ? 0 : m === 180 ? -1 : cos((deg * PI) / 180);
}

function sinDegrees(deg: number): number {
  const m = ((deg % 360) + 360) % 360;
  return m === 0 || m === 180 ? 0 : m === 90 ? 1 : m === 270 ? -1 : sin((deg * PI) / 180);
}

function checkSlice(fn: string, s: SlicePair): void {
  const n = s.height * s.width;
  if (!Number.isInteger(s.height) || !Number.isInteger(s.width) || s.height < 1 || s.width < 1) {
    throw new McscError(fn, `height and width must be positive integers, got ${s.height} × ${s.width}`);
  }
  if (s.image.length !== n || s.label.length !== n) {
    throw new McscError(fn, `image (${s.image.length}) and label (${s.label.length}) must both hold height × width = ${n} values`);
  }
}

/**
 * RGBA pixels (a PNG decoded by pngjs, or a canvas's ImageData) to the [C, H, W] planes a model takes:
 * one channel gives the grey value (R when the image is grey, else Rec. 601 luma), three give R, G, B.
 * Values stay 0 … 255; the segmenter's intensity option scales them.
 */
import { McscError } from '@mcsc/graph';
export function rgbaToPlanes(rgba: ArrayLike<number>, width: number, height: number, channels: number, source = 'image'): Float32Array {
  const n = width * height;
  if (rgba.length !== n * 4) throw new McscError(source, `${rgba.length} RGBA bytes, expected width·height·4 = ${n * 4}`);
  if (channels !== 1 && channels !== 3) {
    throw new McscError(source, `a picture gives 1 (grey) or 3 (RGB) channels, but the model expects ${channels}; use a NIfTI volume`);
  }
  const out = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [rgba[i * 4]!, rgba[i * 4 + 1]!, rgba[i * 4 + 2]!];
    if (channels === 1) out[i] = r === g && g === b ? r : 0.299 * r + 0.587 * g + 0.114 * b;
    else {
      out[i] = r;
      out[n + i] = g;
      out[2 * n + i] = b;
    }
  }
  return out;
}

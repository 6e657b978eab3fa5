/** PNG files in Node (pngjs): label overlays of a slice stack, one file per slice, each written atomically. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { imageRange, overlayRgba, type OverlayOptions } from '../colormap.js';
import { failedTo, writeFileAtomic, McscError } from '@mcsc/graph/node';

/** PNG bytes of RGBA pixels. */
export function encodePng(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  png.data.set(rgba);
  return new Uint8Array(PNG.sync.write(png));
}

/** Decoded RGBA pixels of PNG bytes; `source` names the file in errors. */
export function decodePng(bytes: Uint8Array, source: string): { rgba: Uint8Array; width: number; height: number } {
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height };
  } catch (e) {
    throw failedTo(`PNG file ${source}`, 'cannot decode', e);
  }
}

/**
 * Writes `DIR/slice_000.png` … : each slice of `image` [D, H, W] (grey, one window for the whole stack)
 * with `labels` [D, H, W] blended on top. Returns the paths written.
 */
export async function writeOverlayPngs(
  dir: string,
  image: Float32Array,
  labels: Uint8Array,
  shape: readonly [number, number, number],
  options: OverlayOptions = {},
): Promise<string[]> {
  const [d, h, w] = shape;
  if (image.length !== d * h * w || labels.length !== d * h * w) {
    throw new McscError('writeOverlayPngs', `image holds ${image.length} and labels ${labels.length} values, expected ${d}·${h}·${w}`);
  }
  await mkdir(dir, { recursive: true });
  const window = options.window ?? imageRange(image);
  const digits = Math.max(3, String(d - 1).length);
  const paths: string[] = [];
  for (let z = 0; z < d; z++) {
    const at = z * h * w;
    const rgba = overlayRgba(image.subarray(at, at + h * w), labels.subarray(at, at + h * w), h, w, { ...options, window });
    const path = join(dir, `slice_${String(z).padStart(digits, '0')}.png`);
    writeFileAtomic(path, encodePng(rgba, w, h));
    paths.push(path);
  }
  return paths;
}

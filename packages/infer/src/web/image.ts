/** Pictures (PNG, JPEG, … anything the browser decodes) to RGBA pixels, via a canvas. */
import { McscError, messageOf } from '@mcsc/graph';

/** RGBA pixels of an image file or blob. */
export async function decodeImageFile(file: Blob, source = 'image'): Promise<{ rgba: Uint8ClampedArray; width: number; height: number }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (e) {
    throw new McscError(source, `the browser cannot decode it as an image (${messageOf(e)}); expected a PNG or a NIfTI volume`, {
      cause: e,
    });
  }
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  if (!context) throw new McscError(source, 'no 2-D canvas context to decode into');
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { rgba: context.getImageData(0, 0, width, height).data, width, height };
}

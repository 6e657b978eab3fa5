/** One 3-D evaluation volume from an HDF5 file with datasets `image` and `label` ([D, H, W]): the ACDC and Synapse layouts share it. */
import { McscError } from '@mcsc/graph';
import type { LabelLimit } from './classes.js';
import { checkLabelRange, shapeText, toFloat32, toLabels } from './convert.js';
import { readH5Arrays } from './h5.js';
import type { Volume } from './types.js';

/**
 * Reads `path` as the volume `name`; `what` names the layout in errors (`ACDC volume <path>: …`). Labels
 * are checked against `limit` (the class count and where it came from) unless it is null.
 */
export async function readH5Volume(path: string, name: string, what: string, limit: LabelLimit | null): Promise<Volume> {
  const where = `${what} ${path}`;
  const { image, label } = await readH5Arrays(path, ['image', 'label'], what);
  if (image!.shape.length !== 3) throw new McscError(where, `dataset 'image' has shape ${shapeText(image!.shape)}, expected 3-D [D, H, W]`);
  if (shapeText(label!.shape) !== shapeText(image!.shape)) {
    throw new McscError(
      where,
      `dataset 'label' has shape ${shapeText(label!.shape)}, expected 3-D [D, H, W] matching 'image' ${shapeText(image!.shape)}`,
    );
  }
  const labels = toLabels(label!.data, `${where}: dataset 'label'`, label!.shape);
  if (limit) checkLabelRange(labels, limit.count, `${where}: dataset 'label'`, label!.shape, limit.origin);
  const [d, h, w] = image!.shape as [number, number, number];
  return { caseId: name, shape: [d, h, w], image: toFloat32(image!.data, `${where}: dataset 'image'`, image!.shape), label: labels };
}

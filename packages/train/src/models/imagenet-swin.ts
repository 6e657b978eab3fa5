/**
 * ImageNet Swin weights (timm names, no `swin_unet.` prefix, the `model` dict of the .pth) mapped onto a
 * Swin-UNet by the reference rule (Swin-UNet's `load_from`, docs/method/networks.md#imagenet-initialisation): encoder keys load as they are,
 * each `layers.i.*` key is also copied to the mirrored decoder stage `layers_up.(L−1−i).*`, and keys
 * whose name or shape the model lacks are dropped (reported, not an error).
 */
import { readFileSync } from 'node:fs';
import { decodeSafetensors, type NamedTensor, type TrainingSession } from '@mcsc/graph';

export interface ImageNetSwinMapping {
  mapped: Map<string, NamedTensor>;
  /** Keys of the file (or their decoder copies) that the model has no place for. */
  dropped: string[];
}

export function mapImageNetSwin(
  tensors: ReadonlyMap<string, NamedTensor>,
  model: ReadonlyMap<string, { shape: readonly number[] }>,
  stages = 4,
  prefix = 'swin_unet.',
): ImageNetSwinMapping {
  const mapped = new Map<string, NamedTensor>();
  const dropped: string[] = [];
  const place = (name: string, t: NamedTensor) => {
    const target = model.get(name);
    if (target && target.shape.join() === t.shape.join()) mapped.set(name, t);
    else dropped.push(name);
  };
  for (const [key, t] of tensors) {
    place(`${prefix}${key}`, t);
    const layer = /^layers\.(\d+)\.(.*)$/.exec(key);
    if (layer) place(`${prefix}layers_up.${stages - 1 - Number(layer[1])}.${layer[2]}`, t);
  }
  return { mapped, dropped };
}

/** Load a safetensors conversion of an ImageNet Swin checkpoint into a session's Swin-UNet. */
export function loadImageNetSwin(session: TrainingSession, path: string, stages = 4): ImageNetSwinMapping {
  const { tensors } = decodeSafetensors(readFileSync(path), path);
  const mapping = mapImageNetSwin(tensors, session.weights(), stages);
  session.loadWeights(mapping.mapped, { strict: false, source: path });
  return mapping;
}

/**
 * The SSL4MIS ACDC layout (Luo et al., github.com/HiLab-git/SSL4MIS, `data/ACDC`):
 *
 *     <root>/train_slices.list   one slice name a line, e.g. patient001_frame01_slice_0
 *     <root>/val.list            one volume name a line, e.g. patient011_frame01
 *     <root>/test.list
 *     <root>/data/slices/<slice>.h5   datasets 'image' [H, W] float (0 … 1), 'label' [H, W] uint8
 *     <root>/data/<volume>.h5         datasets 'image' [D, H, W], 'label' [D, H, W]
 *
 * Labels: 0 background, 1 RV, 2 myocardium, 3 LV — the layout's default; other data in this layout
 * declare their classes (`classes` option, or `classes.json` in the folder; see classes.ts), or K is
 * taken from the labels. The files record no voxel spacing.
 * Training slices keep the list's order, which is what SSL4MIS's labeled-slice count refers to
 * (see {@link selectLabeled} with `{ slices: acdcLabeledSliceCount(k) }`).
 */
import { join } from 'node:path';
import { declaredClasses, labelLimit, layoutDataset, type LabelLimit } from './classes.js';
import { checkLabelRange, shapeText, toFloat32, toLabels } from './convert.js';
import { readH5Arrays } from './h5.js';
import { readH5Volume } from './h5-volume.js';
import { readList } from './lists.js';
import { resolveInside, type RootOptions } from './paths.js';
import type { SegmentationDataset, TrainingSlice, Volume } from './types.js';
import { McscError } from '@mcsc/graph';

export const ACDC_CLASS_NAMES = Object.freeze(['background', 'RV', 'Myo', 'LV']);

/** The label check of {@link readAcdcSlice} / {@link readAcdcVolume} when called on their own. */
const ACDC_DEFAULT_LIMIT: LabelLimit = { count: ACDC_CLASS_NAMES.length, origin: "the ACDC layout's default" };

export interface AcdcOptions extends RootOptions {
  /** Only the first n training slices (default: all) — for smoke runs; keep n ≥ the labeled count. */
  readonly maxTrainSlices?: number;
  /** Load the validation and test volumes (default true). */
  readonly volumes?: boolean;
  /** Class names, background first (the trainer config's `data.classes`); default: `classes.json`, else the layout or the labels. */
  readonly classes?: readonly string[];
}

/**
 * Loads an SSL4MIS ACDC directory. Every file a list names must lie inside `root` (no `..`, absolute
 * paths or symlinks out of it) unless `allowOutsideRoot`; every image must be finite and every label a
 * class index — below the declared class count when there is one (`classes`, `classes.json`) — checked
 * here, before a training run creates anything. K and the names: see classes.ts (`classSource`).
 */
export async function loadAcdc(root: string, options: AcdcOptions = {}): Promise<SegmentationDataset> {
  const { maxTrainSlices, volumes = true } = options;
  const declared = declaredClasses(root, options.classes);
  const limit = declared ? labelLimit(declared) : null;
  const listPath = join(root, 'train_slices.list');
  let sliceNames = await readList(listPath);
  if (maxTrainSlices !== undefined) {
    if (!Number.isInteger(maxTrainSlices) || maxTrainSlices < 1) {
      throw new McscError('loadAcdc', `maxTrainSlices must be a positive integer, got ${maxTrainSlices}`);
    }
    sliceNames = sliceNames.slice(0, maxTrainSlices);
  }
  const train: TrainingSlice[] = [];
  const inside = (list: string, name: string, rel: string) =>
    resolveInside(root, rel, `list file ${list}`, `entry ${JSON.stringify(name)}`, options);
  for (const name of sliceNames)
    train.push(await readAcdcSlice(await inside(listPath, name, join('data', 'slices', `${name}.h5`)), name, limit));
  const val: Volume[] = [];
  const test: Volume[] = [];
  if (volumes) {
    for (const [list, into] of [
      ['val.list', val],
      ['test.list', test],
    ] as const) {
      const path = join(root, list);
      for (const name of await readList(path))
        into.push(await readAcdcVolume(await inside(path, name, join('data', `${name}.h5`)), name, limit));
    }
  }
  return layoutDataset('ACDC', declared, ACDC_CLASS_NAMES, { train, val, test });
}

/** The patient of an SSL4MIS slice or volume name: `patient001_frame01_slice_3` → `patient001`. */
export function acdcPatientId(name: string): string {
  return /^(.*?)_frame\d+/.exec(name)?.[1] ?? name.replace(/_slice_?\d+$/, '');
}

/**
 * Reads one `data/slices/<name>.h5`; labels must lie below `limit.count` (default: the layout's 4
 * classes; null: any class index 0 … 255).
 */
export async function readAcdcSlice(path: string, name: string, limit: LabelLimit | null = ACDC_DEFAULT_LIMIT): Promise<TrainingSlice> {
  const what = 'ACDC slice';
  const { image, label } = await readH5Arrays(path, ['image', 'label'], what);
  const where = `${what} ${path}`;
  if (image!.shape.length !== 2) throw new McscError(where, `dataset 'image' has shape ${shapeText(image!.shape)}, expected 2-D [H, W]`);
  if (shapeText(label!.shape) !== shapeText(image!.shape)) {
    throw new McscError(
      where,
      `dataset 'label' has shape ${shapeText(label!.shape)}, expected 2-D [H, W] matching 'image' ${shapeText(image!.shape)}`,
    );
  }
  const labels = toLabels(label!.data, `${where}: dataset 'label'`, label!.shape);
  if (limit) checkLabelRange(labels, limit.count, `${where}: dataset 'label'`, label!.shape, limit.origin);
  return {
    id: name,
    caseId: acdcPatientId(name),
    height: image!.shape[0]!,
    width: image!.shape[1]!,
    image: toFloat32(image!.data, `${where}: dataset 'image'`, image!.shape),
    label: labels,
  };
}

/** Reads one `data/<name>.h5` volume; `limit` as {@link readAcdcSlice}. */
export async function readAcdcVolume(path: string, name: string, limit: LabelLimit | null = ACDC_DEFAULT_LIMIT): Promise<Volume> {
  return readH5Volume(path, name, 'ACDC volume', limit);
}

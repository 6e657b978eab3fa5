/**
 * The TransUNet Synapse layout (Chen et al., github.com/Beckschen/TransUNet, `data/Synapse`):
 *
 *     <root>/train_npz/<case>_sliceNNN.npz   arrays 'image' [H, W] float32 (CT clipped to [−125, 275],
 *                                            scaled to 0 … 1) and 'label' [H, W] (float32 class indices)
 *     <root>/test_vol_h5/<case>.npy.h5       datasets 'image' [D, H, W], 'label' [D, H, W]
 *
 * TransUNet names its cases in `lists/lists_Synapse/train.txt` (slice names) and `test_vol.txt` (volume
 * names), which live with the code, not the data: pass `listDir` to use them, otherwise every file of
 * the two folders is taken, in sorted order. Labels (TransUNet's mapping of the BTCV organs):
 * 1 aorta, 2 gallbladder, 3 left kidney, 4 right kidney, 5 liver, 6 pancreas, 7 spleen, 8 stomach —
 * the layout's default; other data in this layout declare their classes (`classes` option, or
 * `classes.json` in the folder; see classes.ts), or K is taken from the labels.
 * At 512 × 512, the 2,211 training slices take about 2.9 GB in memory.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { declaredClasses, labelLimit, layoutDataset, type LabelLimit } from './classes.js';
import { checkLabelRange, shapeText, toFloat32, toLabels } from './convert.js';
import { readH5Volume } from './h5-volume.js';
import { readList } from './lists.js';
import { readNpz } from './npy.js';
import { resolveInside, type RootOptions } from './paths.js';
import type { SegmentationDataset, TrainingSlice, Volume } from './types.js';
import { failedTo, McscError } from '@mcsc/graph';

export const SYNAPSE_CLASS_NAMES = Object.freeze([
  'background',
  'aorta',
  'gallbladder',
  'kidney (L)',
  'kidney (R)',
  'liver',
  'pancreas',
  'spleen',
  'stomach',
]);

/** The label check of {@link readSynapseSlice} / {@link readSynapseVolume} when called on their own. */
const SYNAPSE_DEFAULT_LIMIT: LabelLimit = { count: SYNAPSE_CLASS_NAMES.length, origin: "the Synapse layout's default" };

export interface SynapseOptions extends RootOptions {
  /** Folder with TransUNet's `train.txt` and `test_vol.txt`; default: list the data folders. */
  readonly listDir?: string;
  /** Test cases to use for validation instead (TransUNet has no validation set); default none. */
  readonly valCases?: readonly string[];
  /** Only the first n training slices (default: all). */
  readonly maxTrainSlices?: number;
  /** Load the test volumes (default true). */
  readonly volumes?: boolean;
  /** Class names, background first (the trainer config's `data.classes`); default: `classes.json`, else the layout or the labels. */
  readonly classes?: readonly string[];
}

/**
 * Loads a TransUNet Synapse directory. Names from `listDir`'s lists must resolve inside `root`'s data
 * folders (no `..`, absolute paths or symlinks out) unless `allowOutsideRoot`; images must be finite and
 * labels class indices, below the declared class count when there is one. K and the names: see
 * classes.ts (`classSource`).
 */
export async function loadSynapse(root: string, options: SynapseOptions = {}): Promise<SegmentationDataset> {
  const { listDir, valCases = [], maxTrainSlices, volumes = true } = options;
  const declared = declaredClasses(root, options.classes);
  const limit = declared ? labelLimit(declared) : null;
  const trainDir = join(root, 'train_npz');
  const testDir = join(root, 'test_vol_h5');
  let sliceNames = listDir !== undefined ? await readList(join(listDir, 'train.txt')) : await listFiles(trainDir, '.npz');
  if (maxTrainSlices !== undefined) {
    if (!Number.isInteger(maxTrainSlices) || maxTrainSlices < 1) {
      throw new McscError('loadSynapse', `maxTrainSlices must be a positive integer, got ${maxTrainSlices}`);
    }
    sliceNames = sliceNames.slice(0, maxTrainSlices);
  }
  const train: TrainingSlice[] = [];
  const inside = (folder: string, source: string, name: string, suffix: string) =>
    resolveInside(root, join(folder, `${name}${suffix}`), source, `entry ${JSON.stringify(name)}`, options);
  const trainSource = listDir !== undefined ? `list file ${join(listDir, 'train.txt')}` : `Synapse folder ${trainDir}`;
  for (const name of sliceNames) train.push(await readSynapseSlice(await inside('train_npz', trainSource, name, '.npz'), name, limit));
  const val: Volume[] = [];
  const test: Volume[] = [];
  if (volumes) {
    const caseNames = listDir !== undefined ? await readList(join(listDir, 'test_vol.txt')) : await listFiles(testDir, '.npy.h5');
    const missing = valCases.filter((c) => !caseNames.includes(c));
    if (missing.length > 0)
      throw new McscError('loadSynapse', `valCases ${JSON.stringify(missing)} are not test volumes (found: ${caseNames.join(', ')})`);
    const testSource = listDir !== undefined ? `list file ${join(listDir, 'test_vol.txt')}` : `Synapse folder ${testDir}`;
    for (const name of caseNames) {
      const volume = await readSynapseVolume(await inside('test_vol_h5', testSource, name, '.npy.h5'), name, limit);
      (valCases.includes(name) ? val : test).push(volume);
    }
  }
  return layoutDataset('Synapse', declared, SYNAPSE_CLASS_NAMES, { train, val, test });
}

/** The case of a slice name: `case0005_slice012` → `case0005`. */
export function synapseCaseId(name: string): string {
  return /^(.*)_slice\d+$/.exec(name)?.[1] ?? name;
}

/**
 * Reads one `train_npz/<name>.npz`; labels must lie below `limit.count` (default: the layout's 9
 * classes; null: any class index 0 … 255).
 */
export async function readSynapseSlice(
  path: string,
  name: string,
  limit: LabelLimit | null = SYNAPSE_DEFAULT_LIMIT,
): Promise<TrainingSlice> {
  const what = 'Synapse slice';
  const where = `${what} ${path}`;
  const arrays = await readNpz(path, what);
  const { image, label } = arrays;
  const found = Object.keys(arrays).join(', ') || 'nothing';
  if (!image) throw new McscError(where, `array 'image' is missing (the archive has: ${found})`);
  if (!label) throw new McscError(where, `array 'label' is missing (the archive has: ${found})`);
  if (image.shape.length !== 2) throw new McscError(where, `array 'image' has shape ${shapeText(image.shape)}, expected 2-D [H, W]`);
  if (shapeText(label.shape) !== shapeText(image.shape)) {
    throw new McscError(
      where,
      `array 'label' has shape ${shapeText(label.shape)}, expected 2-D [H, W] matching 'image' ${shapeText(image.shape)}`,
    );
  }
  const labels = toLabels(label.data, `${where}: array 'label'`, label.shape);
  if (limit) checkLabelRange(labels, limit.count, `${where}: array 'label'`, label.shape, limit.origin);
  return {
    id: name,
    caseId: synapseCaseId(name),
    height: image.shape[0]!,
    width: image.shape[1]!,
    image: toFloat32(image.data, `${where}: array 'image'`, image.shape),
    label: labels,
  };
}

/** Reads one `test_vol_h5/<name>.npy.h5`; `limit` as {@link readSynapseSlice}. */
export async function readSynapseVolume(path: string, name: string, limit: LabelLimit | null = SYNAPSE_DEFAULT_LIMIT): Promise<Volume> {
  return readH5Volume(path, name, 'Synapse volume', limit);
}

/** File names in `dir` ending in `suffix`, without it, sorted. */
async function listFiles(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir).catch((e: unknown) => {
    throw failedTo(`Synapse folder ${dir}`, 'cannot list', e);
  });
  const names = entries
    .filter((f) => f.endsWith(suffix))
    .map((f) => f.slice(0, -suffix.length))
    .sort();
  if (names.length === 0) throw new McscError(`Synapse folder ${dir}`, `holds no *${suffix} files`);
  return names;
}

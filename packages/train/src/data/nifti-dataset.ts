/**
 * NIfTI image / label volume pairs (`.nii`, `.nii.gz`) as a segmentation task, described by a JSON config:
 *
 *     {
 *       "name": "ch2-aal-4class",
 *       "root": "/usr/share/mricron/templates",        // paths below resolve against it (default: the config's folder)
 *       "axis": 0,                                      // NIfTI voxel axis to slice along: 0 = i, 1 = j, 2 = k
 *       "groups": { "1": [71, 72], "2": [77, 78], "3": [91, 92] },   // atlas values → class; others → 0
 *       "classNames": ["background", "striatum", "thalamus", "cerebellum"],
 *       "intensity": "minmax",                          // per volume to 0 … 1; "none"; or a window [lo, hi]
 *       "cases": [
 *         { "id": "a", "image": "ch2.nii.gz", "label": "aal.nii.gz", "split": "train", "range": [10, 40] },
 *         …
 *       ]
 *     }
 *
 * Cases are split by volume: each names its subset (`"split"`), or the config gives
 * `"split": { "val": n, "test": m, "seed": s }` and {@link splitCases} draws them; the rest train.
 * `range: [start, end)` keeps only those positions along `axis` (several cases may cut disjoint slabs of
 * one file). Volume layout: D = `axis`, then the two other NIfTI axes, slower one first: axis 2 gives
 * [k, j, i] (the file's own order), axis 0 gives [i, k, j], axis 1 gives [j, k, i]. Spacing comes from pixdim.
 */
import { dirname, resolve } from 'node:path';
import { niftiToFloat32, readNifti, type NiftiVolume } from '@mcsc/infer';
import { z } from 'zod';
import { checkClassNames, CONFIG_ORIGIN, generatedClassNames } from './classes.js';
import { shapeText } from './convert.js';
import { readJsonFile } from './json-file.js';
import { resolveInside, type RootOptions } from './paths.js';
import { splitCases } from './split.js';
import { volumeSlices, type SegmentationDataset, type TrainingSlice, type Volume } from './types.js';
import { McscError } from '@mcsc/graph';

const caseSchema = z.strictObject({
  id: z.string().min(1),
  image: z.string().min(1),
  label: z.string().min(1),
  split: z.enum(['train', 'val', 'test']).optional(),
  range: z.tuple([z.number().int().min(0), z.number().int().min(1)]).optional(),
});

/** The config schema (zod); see the module comment for the meaning of each field. */
export const niftiDatasetConfigSchema = z.strictObject({
  name: z.string().min(1).default('nifti'),
  root: z.string().optional(),
  axis: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(2),
  groups: z.record(z.string().regex(/^[1-9]\d*$/, 'group keys must be class indices 1, 2, …'), z.array(z.number().int().min(0)).min(1)),
  classNames: z.array(z.string()).optional(),
  intensity: z.union([z.enum(['minmax', 'none']), z.tuple([z.number(), z.number()])]).default('minmax'),
  cases: z.array(caseSchema).min(1),
  split: z.strictObject({ val: z.number().int().min(0), test: z.number().int().min(0), seed: z.number().int() }).optional(),
});

export type NiftiDatasetConfig = z.input<typeof niftiDatasetConfigSchema>;
type ParsedConfig = z.output<typeof niftiDatasetConfigSchema>;

export interface NiftiDatasetOptions extends RootOptions {
  /** Overrides the config's `root` (e.g. where the data really is on this machine). */
  readonly root?: string;
  /**
   * Class names, background first (the trainer config's `data.classes`): they replace the config's
   * `classNames`; K stays background + the groups, so there must be as many.
   */
  readonly classes?: readonly string[];
}

/**
 * Loads the task a config file describes (read with the project's JSON reader: size and depth limits,
 * no prototype keys). Image and label paths must resolve inside the data folder (`root`), symlinks
 * included, unless `allowOutsideRoot`; images must be finite and label values whole numbers — all
 * checked here, before a training run creates its folder.
 */
export async function loadNiftiDataset(configPath: string, options: NiftiDatasetOptions = {}): Promise<SegmentationDataset> {
  const json = readJsonFile(configPath, 'NIfTI dataset config');
  return buildNiftiDataset(json, dirname(configPath), { ...options, source: configPath });
}

/**
 * Loads the task a config object describes; relative paths resolve against `root` (option, then
 * config, relative to `baseDir`).
 */
export async function buildNiftiDataset(
  config: unknown,
  baseDir: string,
  options: NiftiDatasetOptions & { readonly source?: string } = {},
): Promise<SegmentationDataset> {
  const where = `NIfTI dataset config ${options.source ?? '(object)'}`;
  const parsed = niftiDatasetConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new McscError(where, `${issues.join('; ')}`);
  }
  const cfg = parsed.data;
  const lut = groupLookup(cfg, where);
  const numClasses = Object.keys(cfg.groups).length + 1;
  const classNames = cfg.classNames ?? generatedClassNames(numClasses);
  if (classNames.length !== numClasses) {
    throw new McscError(where, `classNames has ${classNames.length} names, expected ${numClasses} (background + ${numClasses - 1} groups)`);
  }
  const configured = options.classes && checkClassNames([...options.classes], CONFIG_ORIGIN, 'data.classes');
  if (configured && configured.length !== numClasses) {
    throw new McscError(
      CONFIG_ORIGIN,
      `data.classes has ${configured.length} names, expected ${numClasses}: background + the ${numClasses - 1} groups of ${where}`,
    );
  }
  const subsets = assignSplits(cfg, where);
  const root = resolve(baseDir, options.root ?? cfg.root ?? '.');
  const at = (id: string, field: string, p: string) => resolveInside(root, p, where, `case "${id}" ${field} ${JSON.stringify(p)}`, options);
  const files = new Map<string, Promise<NiftiVolume>>();
  const read = (p: string) => {
    const cached = files.get(p);
    if (cached) return cached;
    const v = readNifti(p);
    files.set(p, v);
    return v;
  };

  const train: TrainingSlice[] = [];
  const val: Volume[] = [];
  const test: Volume[] = [];
  for (const c of cfg.cases) {
    const imagePath = await at(c.id, 'image', c.image);
    const labelPath = await at(c.id, 'label', c.label);
    const [image, label] = await Promise.all([read(imagePath), read(labelPath)]);
    const volume = caseVolume(c.id, image, label, imagePath, labelPath, cfg, lut, c.range);
    const subset = subsets.get(c.id)!;
    if (subset === 'train') train.push(...volumeSlices(volume));
    else (subset === 'val' ? val : test).push(volume);
  }
  return {
    name: cfg.name,
    numClasses,
    classNames: configured ?? classNames,
    classSource: configured ? 'config' : 'data-set config',
    classOrigin: configured
      ? CONFIG_ORIGIN
      : `${where.replace(/^NIfTI dataset config/, 'the NIfTI data-set config')} (${cfg.classNames ? 'classNames' : 'groups; names generated'})`,
    train,
    val,
    test,
  };
}

/** Atlas value → class index 1 … K−1; values in no group map to background (0). */
function groupLookup(cfg: ParsedConfig, where: string): Map<number, number> {
  const keys = Object.keys(cfg.groups)
    .map(Number)
    .sort((a, b) => a - b);
  if (keys.length > 254) throw new McscError(where, `${keys.length} groups, expected at most 254 (labels are uint8)`);
  keys.forEach((k, i) => {
    if (k !== i + 1) throw new McscError(where, `groups must be numbered 1 … ${keys.length}, got keys ${JSON.stringify(keys)}`);
  });
  const lut = new Map<number, number>();
  for (const k of keys) {
    for (const v of cfg.groups[String(k)]!) {
      if (lut.has(v)) throw new McscError(where, `atlas value ${v} is in groups ${lut.get(v)} and ${k}, expected one group per value`);
      lut.set(v, k);
    }
  }
  return lut;
}

function assignSplits(cfg: ParsedConfig, where: string): Map<string, 'train' | 'val' | 'test'> {
  const ids = cfg.cases.map((c) => c.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) throw new McscError(where, `case id "${dup}" appears twice, expected distinct ids`);
  const out = new Map<string, 'train' | 'val' | 'test'>();
  if (cfg.split) {
    const named = cfg.cases.filter((c) => c.split !== undefined).map((c) => c.id);
    if (named.length > 0)
      throw new McscError(where, `cases ${JSON.stringify(named)} name a split while the config draws one; use one or the other`);
    const { val, test, seed } = cfg.split;
    if (val + test > ids.length) throw new McscError(where, `split asks for ${val} val + ${test} test cases, but there are ${ids.length}`);
    const s = splitCases(ids, { train: ids.length - val - test, val, test }, seed);
    for (const k of ['train', 'val', 'test'] as const) s[k].forEach((id) => out.set(id, k));
  } else {
    for (const c of cfg.cases) {
      if (c.split === undefined)
        throw new McscError(where, `case "${c.id}" has no split, expected "train", "val" or "test" (or a top-level split)`);
      out.set(c.id, c.split);
    }
  }
  return out;
}

/** One case as a [D, H, W] volume: the image normalised, the labels grouped, cut to `range`. */
function caseVolume(
  id: string,
  image: NiftiVolume,
  label: NiftiVolume,
  imagePath: string,
  labelPath: string,
  cfg: ParsedConfig,
  lut: ReadonlyMap<number, number>,
  range: readonly [number, number] | undefined,
): Volume {
  const dims3 = (v: NiftiVolume, path: string): [number, number, number] => {
    if (v.dims.length < 2 || (v.dims.length > 3 && v.dims.slice(3).some((d) => d !== 1))) {
      throw new McscError(`NIfTI file ${path}`, `dims ${shapeText(v.dims)}, expected a 3-D volume`);
    }
    return [v.dims[0]!, v.dims[1]!, v.dims[2] ?? 1];
  };
  const dims = dims3(image, imagePath);
  const ldims = dims3(label, labelPath);
  if (shapeText(ldims) !== shapeText(dims)) {
    throw new McscError(
      `NIfTI file ${labelPath}`,
      `label dims ${shapeText(ldims)} do not match image ${imagePath} dims ${shapeText(dims)}`,
    );
  }
  const worst = Math.max(...image.affine.flatMap((row, r) => row.map((x, c) => Math.abs(x - label.affine[r]![c]!))));
  if (worst > 1e-3) {
    throw new McscError(
      `NIfTI file ${labelPath}`,
      `label affine ${JSON.stringify(label.affine)} differs from image ${imagePath} affine ${JSON.stringify(image.affine)}, expected the same voxel grid`,
    );
  }
  const axis = cfg.axis;
  const [start, end] = range ?? [0, dims[axis]!];
  if (end > dims[axis]! || start >= end) {
    throw new McscError(`case "${id}" (${imagePath})`, `range [${start}, ${end}) is not inside axis ${axis} of size ${dims[axis]}`);
  }
  // NIfTI flat index = i + X·(j + Y·k); out axes: D = axis, then the other two, slower first.
  const strides = [1, dims[0], dims[0] * dims[1]];
  const others = [2, 1, 0].filter((a) => a !== axis) as [number, number];
  const [h, w] = [dims[others[0]]!, dims[others[1]]!];
  const d = end - start;
  const src = niftiToFloat32(image);
  const voxel = (i: number) => {
    const ijk = [i % dims[0], Math.floor(i / dims[0]) % dims[1], Math.floor(i / (dims[0] * dims[1]))];
    return `voxel (${ijk.join(', ')}) (slice ${ijk[cfg.axis]} along axis ${cfg.axis})`;
  };
  for (let i = 0; i < src.length; i++) {
    if (!Number.isFinite(src[i]!))
      throw new McscError(`NIfTI file ${imagePath}`, `image value ${src[i]} at ${voxel(i)} is not finite, expected finite intensities`);
  }
  normalise(src, cfg.intensity); // over the whole file, so that slabs of one volume share a scale
  const atlas = label.data;
  for (let i = 0; i < atlas.length; i++) {
    if (!Number.isInteger(atlas[i]!)) {
      throw new McscError(
        `NIfTI file ${labelPath}`,
        `label value ${atlas[i]} at ${voxel(i)} is not a whole number, expected integer atlas values (mapped to classes 0 … ${lut.size === 0 ? 0 : Math.max(...lut.values())} by groups)`,
      );
    }
  }
  const out = new Float32Array(d * h * w);
  const outLabel = new Uint8Array(d * h * w);
  let o = 0;
  for (let z = start; z < end; z++) {
    for (let y = 0; y < h; y++) {
      const base = z * strides[axis]! + y * strides[others[0]]!;
      for (let x = 0; x < w; x++, o++) {
        const s = base + x * strides[others[1]]!;
        out[o] = src[s]!;
        outLabel[o] = lut.get(atlas[s]!) ?? 0;
      }
    }
  }
  const sp = (a: number) => image.spacing[a] ?? 1;
  return { caseId: id, shape: [d, h, w], image: out, label: outLabel, spacing: [sp(axis), sp(others[0]), sp(others[1])] };
}

function normalise(x: Float32Array, mode: ParsedConfig['intensity']): void {
  if (mode === 'none') return;
  let lo: number;
  let hi: number;
  if (mode === 'minmax') {
    lo = Infinity;
    hi = -Infinity;
    for (const v of x) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  } else {
    [lo, hi] = mode;
  }
  const scale = hi > lo ? 1 / (hi - lo) : 0;
  for (let i = 0; i < x.length; i++) x[i] = Math.min(1, Math.max(0, (x[i]! - lo) * scale));
}

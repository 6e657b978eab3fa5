/**
 * Where a data set's class count K and class names come from (docs/method/data.md#classes). For the
 * ACDC (h5) and Synapse (npz) layouts, in order:
 *
 * 1. `config`: the trainer config's `data.classes` (background first);
 * 2. `classes.json`: a JSON array of names, background first, in the data folder;
 * 3. `layout default`: the layout's published classes (ACDC 4, Synapse 9), when the largest label is
 *    that layout's last class;
 * 4. `labels`: K = largest label + 1 (at least 2), named `background`, `class 1`, ….
 *
 * NIfTI data sets take K from their config's groups (`data-set config`; names from its `classNames`, or
 * `data.classes`); the synthetic generator has its own four classes (`generator`). With a known K, every
 * label is checked as its file is read, and a value ≥ K is an error naming the file, the position, the
 * value and where K came from.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { McscError, formatValue } from '@mcsc/graph';
import { readJsonFile } from './json-file.js';
import type { SegmentationDataset, TrainingSlice, Volume } from './types.js';

/** Where K and the class names came from. */
export type ClassSource = 'config' | 'classes.json' | 'layout default' | 'labels' | 'data-set config' | 'generator';

/** The class file read beside the data (ACDC, Synapse). */
export const CLASSES_FILE = 'classes.json';

/** Labels are uint8: at most 256 classes. */
export const MAX_CLASSES = 256;

/** A class list and where it came from. */
export interface ClassList {
  /** K names, background first. */
  readonly names: readonly string[];
  readonly source: ClassSource;
  /** The source in words, for messages and reports: `data.classes in the trainer config`, `classes.json /data/x/classes.json`, …. */
  readonly origin: string;
}

/** A known class count for label checks: `{ count: 3, origin: 'classes.json /d/classes.json' }`. */
export interface LabelLimit {
  readonly count: number;
  readonly origin: string;
}

/** The origin text of `data.classes`. */
export const CONFIG_ORIGIN = 'data.classes in the trainer config';

/**
 * Checks a class-name list (the config's `data.classes`, a classes.json): 2 … 256 distinct, non-empty
 * strings. `where` names the file or field in errors.
 */
export function checkClassNames(value: unknown, where: string, field = 'the class list'): string[] {
  const expected = `a JSON array of 2 … ${MAX_CLASSES} distinct, non-empty class names, background first (e.g. ["background", "tumour"])`;
  if (!Array.isArray(value)) throw new McscError(where, `${field} must be ${expected}, got ${formatValue(value)}`);
  const bad = value.findIndex((n) => typeof n !== 'string' || n.trim() === '');
  if (bad >= 0)
    throw new McscError(where, `${field}[${bad}] must be a non-empty string, got ${formatValue(value[bad])}; expected ${expected}`);
  if (value.length < 2 || value.length > MAX_CLASSES) {
    throw new McscError(where, `${field} has ${value.length} name${value.length === 1 ? '' : 's'}, expected ${expected}`);
  }
  const names = value as string[];
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new McscError(where, `${field} names ${JSON.stringify(dup)} twice, expected ${expected}`);
  return names;
}

/**
 * The class list known before any label is read: `configured` (the trainer config's `data.classes`),
 * else `<root>/classes.json` when it exists, else undefined (decided from the labels afterwards).
 */
export function declaredClasses(root: string, configured: readonly string[] | undefined): ClassList | undefined {
  if (configured !== undefined) {
    return { names: checkClassNames([...configured], CONFIG_ORIGIN, 'data.classes'), source: 'config', origin: CONFIG_ORIGIN };
  }
  const path = join(root, CLASSES_FILE);
  if (!existsSync(path)) return undefined;
  const where = `classes file ${path}`;
  return { names: checkClassNames(readJsonFile(path, 'classes file'), where), source: 'classes.json', origin: `${CLASSES_FILE} ${path}` };
}

/** The limit label checks use for a declared list. */
export function labelLimit(classes: ClassList): LabelLimit {
  return { count: classes.names.length, origin: classes.origin };
}

/**
 * The class list decided from the labels when none was declared: the layout's default when the
 * largest label is its last class, else K = largest + 1 (at least 2) with generated names.
 */
export function classesFromLabels(maxLabel: number, layout: string, defaults: readonly string[]): ClassList {
  if (maxLabel === defaults.length - 1) return { names: defaults, source: 'layout default', origin: `the ${layout} layout's default` };
  const k = Math.max(maxLabel + 1, 2);
  return { names: generatedClassNames(k), source: 'labels', origin: `the labels (largest value ${maxLabel})` };
}

/** `background`, `class 1`, … `class K−1`. */
export function generatedClassNames(k: number): string[] {
  return ['background', ...Array.from({ length: k - 1 }, (_, i) => `class ${i + 1}`)];
}

/** The largest value of some label maps (0 when there are none). */
export function maxLabel(labels: Iterable<Uint8Array>): number {
  let max = 0;
  for (const l of labels) for (let i = 0; i < l.length; i++) if (l[i]! > max) max = l[i]!;
  return max;
}

/** One line for logs and reports: `3 classes (background, tumour, oedema), from classes.json /d/classes.json`. */
export function describeClasses(names: readonly string[], origin: string | undefined): string {
  const list = names.length > 12 ? `${names.slice(0, 12).join(', ')}, …` : names.join(', ');
  return `${names.length} classes (${list})${origin ? `, from ${origin}` : ''}`;
}

/**
 * A layout's data set (ACDC, Synapse) with its class list: the declared one (config, classes.json) or,
 * when none was declared, the layout's default if the labels fit it, else one class per label value.
 */
export function layoutDataset(
  name: string,
  declared: ClassList | undefined,
  defaults: readonly string[],
  splits: { train: TrainingSlice[]; val: Volume[]; test: Volume[] },
): SegmentationDataset {
  const { train, val, test } = splits;
  const classes = declared ?? classesFromLabels(maxLabel([...train, ...val, ...test].map((x) => x.label)), name, defaults);
  return {
    name,
    numClasses: classes.names.length,
    classNames: classes.names,
    classSource: classes.source,
    classOrigin: classes.origin,
    ...splits,
  };
}

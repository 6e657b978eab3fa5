/**
 * The trainer's data side: the data set a config names, its labeled / unlabeled split, the batch of
 * every iteration (docs/method/data.md), and the feeds built from it.
 *
 * Determinism for exact resume: batches come from a {@link TwoStreamBatchSampler} seeded from the run
 * seed and are replayed from the start on resume (index shuffles only, milliseconds); augmentation and
 * block shuffles draw from generators derived from (seed, iteration), so a step depends on nothing but
 * the iteration number and the restored training state.
 */
import { Random, TwoStreamBatchSampler } from '@mcsc/core';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { augmentSlice, fitToPatch } from '../data/augment.js';
import { ACDC_PATIENTS_TO_SLICES, selectLabeled, type LabeledSplit } from '../data/labeled.js';
import { syntheticCardiacDataset } from '../data/synthetic-cardiac.js';
import { CONFIG_ORIGIN, describeClasses } from '../data/classes.js';
import type { SegmentationDataset, TrainingSlice, Volume } from '../data/types.js';
import type { TrainConfig } from './config.js';
import { invalidValue, McscError } from '@mcsc/graph';

/**
 * Loads the data set of `config.data` with the classes of `data.classes` (docs/method/data.md#classes),
 * then, for the file sources, tops validation up to `data.minValVolumes` ({@link ensureValidation}).
 * The file loaders are imported on demand, so a synthetic run never loads the HDF5 (WebAssembly) and
 * NIfTI readers.
 */
export async function loadData(config: TrainConfig): Promise<SegmentationDataset> {
  const d = config.data;
  const classes = d.classes !== undefined ? { classes: d.classes } : {};
  switch (d.source) {
    case 'synthetic': {
      const s = d.synthetic;
      const dataset = syntheticCardiacDataset({
        seed: s.seed,
        numPatients: s.patients,
        slicesPerPatient: s.slicesPerPatient,
        size: s.size,
        split: s.split,
      });
      return d.classes === undefined ? dataset : renamedClasses(dataset, d.classes);
    }
    case 'acdc': {
      const { loadAcdc } = await import('../data/acdc.js');
      return ensureValidation(
        config,
        await loadAcdc(d.path!, { ...classes, ...(d.maxTrainSlices !== undefined ? { maxTrainSlices: d.maxTrainSlices } : {}) }),
      );
    }
    case 'synapse': {
      const { loadSynapse } = await import('../data/synapse.js');
      const dataset = await loadSynapse(d.path!, {
        valCases: d.valCases,
        ...classes,
        ...(d.maxTrainSlices !== undefined ? { maxTrainSlices: d.maxTrainSlices } : {}),
      });
      return ensureValidation(config, dataset);
    }
    case 'nifti': {
      const { loadNiftiDataset } = await import('../data/nifti-dataset.js');
      return ensureValidation(config, await loadNiftiDataset(d.path!, classes));
    }
  }
}

/** A data set whose K is fixed by the data (synthetic) under `data.classes`' names. */
function renamedClasses(dataset: SegmentationDataset, names: readonly string[]): SegmentationDataset {
  if (names.length !== dataset.numClasses) {
    throw invalidValue(
      CONFIG_ORIGIN,
      'data.classes',
      `must name the ${dataset.numClasses} classes of ${dataset.classOrigin ?? dataset.name} (${dataset.classNames.join(', ')}), background first`,
      names,
    );
  }
  return { ...dataset, classNames: [...names], classSource: 'config', classOrigin: CONFIG_ORIGIN };
}

/**
 * Validation that can pick weights: when `dataset.val` holds fewer than `data.minValVolumes` volumes
 * (capped by `data.maxValVolumes`), whole training cases move to validation, taken from the end of the
 * training order (labeled cases come from its head, so the same cases move whatever the labeled count),
 * among the cases with no labeled slice, and at most half of those, so that the unlabeled pool stays. Test
 * volumes are never touched. Each moved case becomes one volume per name its slices share
 * (`<volume>_slice_<z>`, stacked in z order: an ACDC patient gives its frames); a case whose slices do
 * not stack (no `_slice_<z>` names, sizes that differ, a volume name already in use) stays.
 * The result records what moved, or why the minimum was not reached (`valFromTrain`); nothing is
 * recorded when validation already had enough. The labeled split is the same before and after.
 */
export function ensureValidation(config: TrainConfig, dataset: SegmentationDataset): SegmentationDataset {
  const { minValVolumes, maxValVolumes } = config.data;
  const minimum = Math.min(minValVolumes, maxValVolumes ?? Infinity);
  const own = dataset.val.length;
  if (own >= minimum) return dataset;
  const split = labeledSplit(config, dataset);
  const labeled = new Set(split.labeledCases);
  const unlabeledCases = [...new Set(dataset.train.map((s) => s.caseId))].filter((c) => !labeled.has(c));
  const allowed = Math.floor(unlabeledCases.length / 2);
  const taken = new Set([...dataset.val, ...dataset.test].map((v) => v.caseId));
  const moved: { caseId: string; volumes: Volume[] }[] = [];
  let count = own;
  for (let i = unlabeledCases.length - 1; i >= 0 && count < minimum && moved.length < allowed; i--) {
    const caseId = unlabeledCases[i]!;
    const volumes = caseVolumes(dataset.train.filter((s) => s.caseId === caseId));
    if (volumes === null || volumes.some((v) => taken.has(v.caseId))) continue;
    for (const v of volumes) taken.add(v.caseId);
    moved.push({ caseId, volumes });
    count += volumes.length;
  }
  let shortfall: string | undefined;
  if (count < minimum) {
    shortfall =
      unlabeledCases.length === 0
        ? 'every training case has labeled slices (none may move)'
        : `only ${allowed} of the ${unlabeledCases.length} unlabeled training case${unlabeledCases.length === 1 ? '' : 's'} may move (at most half)${moved.length < allowed ? `, and ${allowed - moved.length} of those do not stack into volumes` : ''}`;
  }
  const movedIds = new Set(moved.map((m) => m.caseId));
  return {
    ...dataset,
    train: dataset.train.filter((s) => !movedIds.has(s.caseId)),
    val: [...dataset.val, ...moved.flatMap((m) => m.volumes)],
    valFromTrain: {
      minimum,
      own,
      moved: moved.map((m) => ({ caseId: m.caseId, volumes: m.volumes.map((v) => v.caseId) })),
      ...(shortfall !== undefined ? { shortfall } : {}),
    },
  };
}

/** A case's training slices as volumes: grouped by `<volume>_slice_<z>` name, stacked by z; null if they do not stack. */
function caseVolumes(slices: readonly TrainingSlice[]): Volume[] | null {
  const groups = new Map<string, { z: number; slice: TrainingSlice }[]>();
  for (const slice of slices) {
    const m = /^(.+?)_slice_?(\d+)$/.exec(slice.id);
    if (!m) return null;
    const group = groups.get(m[1]!) ?? [];
    group.push({ z: Number(m[2]), slice });
    groups.set(m[1]!, group);
  }
  const volumes: Volume[] = [];
  for (const [caseId, group] of groups) {
    group.sort((a, b) => a.z - b.z);
    const { height: h, width: w } = group[0]!.slice;
    if (group.some(({ slice }) => slice.height !== h || slice.width !== w)) return null;
    const n = h * w;
    const image = new Float32Array(group.length * n);
    const label = new Uint8Array(group.length * n);
    group.forEach(({ slice }, z) => {
      image.set(slice.image, z * n);
      label.set(slice.label, z * n);
    });
    volumes.push({ caseId, shape: [group.length, h, w], image, label });
  }
  return volumes;
}

/** The data set's classes in one line: `3 classes (background, a, b), from classes.json /d/classes.json`. */
export function classesText(dataset: SegmentationDataset): string {
  return describeClasses(dataset.classNames, dataset.classOrigin);
}

/**
 * What {@link ensureValidation} did, in one sentence (undefined when it had nothing to do): the moved
 * cases, or why validation stays below the minimum.
 */
export function validationTopUpText(dataset: Pick<SegmentationDataset, 'valFromTrain'>): string | undefined {
  const top = dataset.valFromTrain;
  if (!top) return undefined;
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const added = top.moved.reduce((n, m) => n + m.volumes.length, 0);
  const parts = [`the data set has ${plural(top.own, 'validation volume')}, fewer than data.minValVolumes ${top.minimum}`];
  if (top.moved.length > 0) {
    parts.push(
      `moved ${plural(top.moved.length, 'unlabeled training case')} to validation (${plural(added, 'volume')}): ${top.moved.map((m) => (m.volumes.length === 1 && m.volumes[0] === m.caseId ? m.caseId : `${m.caseId} (${m.volumes.join(', ')})`)).join(', ')}`,
    );
  }
  if (top.shortfall) parts.push(`validation stays at ${plural(top.own + added, 'volume')}: ${top.shortfall}`);
  return `${parts.join('; ')}.`;
}

/** `data.source` and `data.path` as a `--data` argument names them. */
export interface DataSource {
  source: TrainConfig['data']['source'];
  path?: string;
}

/** Guesses `data.source` from a `--data` argument: `synthetic`, an ACDC or Synapse folder, or a NIfTI config file. */
export function detectDataSource(path: string): DataSource {
  if (path === 'synthetic') return { source: 'synthetic' };
  if (!existsSync(path))
    throw new McscError(
      '--data',
      `${path} does not exist (give 'synthetic', an SSL4MIS ACDC folder, a TransUNet Synapse folder or a NIfTI data-set .json)`,
    );
  if (statSync(path).isFile()) return { source: 'nifti', path };
  if (existsSync(join(path, 'train_slices.list'))) return { source: 'acdc', path };
  if (existsSync(join(path, 'train_npz'))) return { source: 'synapse', path };
  throw new McscError(
    '--data',
    `${path} is neither an SSL4MIS ACDC folder (train_slices.list) nor a TransUNet Synapse folder (train_npz/)`,
  );
}

/** The labeled slices of `config.data.labeled` (see its `labeledRule`). */
export function labeledSplit(config: TrainConfig, dataset: SegmentationDataset): LabeledSplit {
  const { labeled, labeledRule } = config.data;
  if ('slices' in labeled) return selectLabeled(dataset.train, { slices: labeled.slices });
  const table = ACDC_PATIENTS_TO_SLICES[labeled.patients];
  const ssl4mis = labeledRule === 'ssl4mis' || (labeledRule === 'auto' && config.data.source === 'acdc' && table !== undefined);
  if (ssl4mis) {
    if (table === undefined) {
      throw new McscError(
        'data.labeled.patients',
        `the SSL4MIS table has no entry for ${labeled.patients} (known: ${Object.keys(ACDC_PATIENTS_TO_SLICES).join(', ')}); use labeledRule 'cases'`,
      );
    }
    return selectLabeled(dataset.train, { slices: Math.min(table, dataset.train.length) });
  }
  return selectLabeled(dataset.train, { patients: labeled.patients });
}

/**
 * The batch of every iteration, in order: epochs of the two-stream sampler, one after another
 * (the reference's `for epoch: for batch in loader`).
 */
export class BatchStream {
  readonly sampler: TwoStreamBatchSampler;
  private epoch: Int32Array[] = [];
  private position = 0;

  /**
   * @param usesUnlabeled whether the step reads the unlabeled tail of the batch (McscGraphOptions).
   *   When it does not and every slice is labeled (full supervision), batches are the labeled head only.
   */
  constructor(split: LabeledSplit, config: TrainConfig, usesUnlabeled: boolean) {
    const { optim } = config;
    if (split.labeled.length < optim.labeledBatchSize) {
      throw new McscError(
        'data',
        `${split.labeled.length} labeled slices, fewer than optim.labeledBatchSize ${optim.labeledBatchSize}; label more patients`,
      );
    }
    const unlabeledPlaces = optim.batchSize - optim.labeledBatchSize;
    if (unlabeledPlaces > 0 && split.unlabeled.length === 0 && usesUnlabeled) {
      throw new McscError(
        'data',
        `every training slice is labeled, so the ${unlabeledPlaces} unlabeled places of each batch (optim.batchSize ${optim.batchSize} − optim.labeledBatchSize ${optim.labeledBatchSize}) cannot be filled; label fewer patients, or set optim.labeledBatchSize to ${optim.batchSize} for full supervision`,
      );
    }
    const withUnlabeled = unlabeledPlaces > 0 && split.unlabeled.length > 0;
    this.sampler = new TwoStreamBatchSampler({
      labeled: split.labeled,
      unlabeled: withUnlabeled ? split.unlabeled : [],
      batchSize: withUnlabeled ? optim.batchSize : optim.labeledBatchSize,
      labeledBatchSize: optim.labeledBatchSize,
      random: Random.forName(config.seed, 'sampler'),
      unlabeledStream: optim.unlabeledStream,
    });
  }

  /** n, batches per epoch. */
  get itersPerEpoch(): number {
    return this.sampler.length;
  }

  next(): Int32Array {
    if (this.position >= this.epoch.length) {
      this.epoch = this.sampler.epoch();
      this.position = 0;
    }
    return this.epoch[this.position++]!;
  }

  /** Replays `count` batches (resume). */
  skip(count: number): void {
    for (let i = 0; i < count; i++) this.next();
  }
}

export interface BatchFeeds {
  /** float32 [B, 1, P, P]. */
  image: Float32Array;
  /** int64 [B_l, P, P]. */
  label: BigInt64Array;
}

/**
 * Augments (docs/method/data.md#augmentation) and stacks the first `batch` slices of `indices`; labels of the first B_l only.
 * Draws come from `Random.forName(seed, 'augment:<t>')`.
 */
export function prepareBatch(
  train: readonly TrainingSlice[],
  indices: Int32Array,
  batch: number,
  config: TrainConfig,
  t: number,
): BatchFeeds {
  const p = config.model.patchSize;
  const bl = config.optim.labeledBatchSize;
  const plane = p * p;
  const image = new Float32Array(batch * plane);
  const label = new BigInt64Array(bl * plane);
  const rng = Random.forName(config.seed, `augment:${t}`);
  const a = config.augment;
  for (let i = 0; i < batch; i++) {
    const slice = train[indices[i]!]!;
    const out = a.enabled
      ? augmentSlice(slice, [p, p], rng, {
          rotFlipProbability: a.rotFlipProbability,
          rotateProbability: a.rotateProbability,
          maxAngle: a.maxAngle,
        })
      : fitToPatch(slice, [p, p]);
    image.set(out.image, i * plane);
    if (i < bl) for (let j = 0; j < plane; j++) label[i * plane + j] = BigInt(out.label[j]!);
  }
  return { image, label };
}

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
import type { SegmentationDataset, TrainingSlice } from '../data/types.js';
import type { TrainConfig } from './config.js';
import { McscError } from '@mcsc/graph';

/**
 * Loads the data set of `config.data`. The file loaders are imported on demand, so a synthetic run
 * never loads the HDF5 (WebAssembly) and NIfTI readers.
 */
export async function loadData(config: TrainConfig): Promise<SegmentationDataset> {
  const d = config.data;
  switch (d.source) {
    case 'synthetic': {
      const s = d.synthetic;
      return syntheticCardiacDataset({
        seed: s.seed,
        numPatients: s.patients,
        slicesPerPatient: s.slicesPerPatient,
        size: s.size,
        split: s.split,
      });
    }
    case 'acdc': {
      const { loadAcdc } = await import('../data/acdc.js');
      return loadAcdc(d.path!, d.maxTrainSlices !== undefined ? { maxTrainSlices: d.maxTrainSlices } : {});
    }
    case 'synapse': {
      const { loadSynapse } = await import('../data/synapse.js');
      return loadSynapse(d.path!, {
        valCases: d.valCases,
        ...(d.maxTrainSlices !== undefined ? { maxTrainSlices: d.maxTrainSlices } : {}),
      });
    }
    case 'nifti': {
      const { loadNiftiDataset } = await import('../data/nifti-dataset.js');
      return loadNiftiDataset(d.path!);
    }
  }
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

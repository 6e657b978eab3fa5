/**
 * Two-stream batch sampler (docs/method/data.md#two-stream-sampler), after SSL4MIS `dataloaders/dataset.py` `TwoStreamBatchSampler`
 * (itself from Tarvainen & Valpola's Mean Teacher code).
 *
 * Each batch is B_l labeled indices followed by B − B_l unlabeled ones. An epoch is one pass over the
 * labeled indices in a fresh random order, cut into ⌊#labeled / B_l⌋ batches (a last partial batch is
 * dropped); the unlabeled indices come from an endless stream of reshuffled passes.
 *
 * `unlabeledStream: 'persistent'` (default) keeps that stream running across epochs, so every unlabeled
 * slice is drawn equally often over training. `'perEpoch'` restarts it at every epoch, as the reference
 * does (its `__iter__` builds a new `iterate_eternally` each time).
 */
import { z } from 'zod';
import { parseOptions, invalidValue } from './internal/errors.js';
import { Random } from './random.js';

export interface TwoStreamBatchSamplerOptions {
  /** Indices of labeled slices (the primary stream). */
  labeled: ArrayLike<number>;
  /** Indices of unlabeled slices (the secondary stream); may be empty when `batchSize === labeledBatchSize`. */
  unlabeled: ArrayLike<number>;
  /** B. */
  batchSize: number;
  /** B_l, 1 ≤ B_l ≤ B. */
  labeledBatchSize: number;
  /** A seed or a generator; all shuffles draw from it. */
  random: Random | number;
  /** Default `'persistent'`. */
  unlabeledStream?: 'persistent' | 'perEpoch';
}

const indicesSchema = z.custom<ArrayLike<number>>(
  (v) =>
    (Array.isArray(v) || ArrayBuffer.isView(v)) &&
    Array.from(v as ArrayLike<unknown>).every((i) => Number.isInteger(i) && (i as number) >= 0),
  'expected an array of non-negative integer indices',
);

const samplerSchema = z.strictObject({
  labeled: indicesSchema,
  unlabeled: indicesSchema,
  batchSize: z.number().int().positive(),
  labeledBatchSize: z.number().int().positive(),
  random: z.union([
    z.number().int(),
    z.custom<Random>((v) => typeof (v as Partial<Random> | null)?.permutation === 'function', 'expected a Random'),
  ]),
  unlabeledStream: z.enum(['persistent', 'perEpoch']).optional(),
});

export class TwoStreamBatchSampler implements Iterable<Int32Array> {
  readonly labeled: Int32Array;
  readonly unlabeled: Int32Array;
  readonly batchSize: number;
  readonly labeledBatchSize: number;
  readonly unlabeledStream: 'persistent' | 'perEpoch';
  private readonly random: Random;
  private pass: Int32Array = new Int32Array(0);
  private position = 0;

  constructor(options: TwoStreamBatchSamplerOptions) {
    const fn = 'TwoStreamBatchSampler';
    const opts = parseOptions(fn, samplerSchema, options);
    this.labeled = Int32Array.from(opts.labeled);
    this.unlabeled = Int32Array.from(opts.unlabeled);
    this.batchSize = opts.batchSize;
    this.labeledBatchSize = opts.labeledBatchSize;
    this.unlabeledStream = opts.unlabeledStream ?? 'persistent';
    if (this.labeledBatchSize > this.batchSize) {
      throw invalidValue(fn, 'options.labeledBatchSize', `must not exceed batchSize ${this.batchSize}`, this.labeledBatchSize);
    }
    if (this.labeled.length < this.labeledBatchSize) {
      throw invalidValue(
        fn,
        'options.labeled.length',
        `must be at least labeledBatchSize ${this.labeledBatchSize} (else an epoch has no batch)`,
        this.labeled.length,
      );
    }
    if (this.batchSize > this.labeledBatchSize && this.unlabeled.length === 0) {
      throw invalidValue(
        fn,
        'options.unlabeled',
        `must not be empty when batchSize ${this.batchSize} > labeledBatchSize ${this.labeledBatchSize}`,
        opts.unlabeled,
      );
    }
    this.random = typeof opts.random === 'number' ? new Random(opts.random) : opts.random;
  }

  /** Batches per epoch: ⌊#labeled / B_l⌋. */
  get length(): number {
    return Math.floor(this.labeled.length / this.labeledBatchSize);
  }

  /** The batches of one epoch; each call starts a new epoch. */
  epoch(): Int32Array[] {
    if (this.unlabeledStream === 'perEpoch') this.position = this.pass.length; // force a fresh shuffle
    const order = this.shuffled(this.labeled);
    const unlabeledCount = this.batchSize - this.labeledBatchSize;
    const batches: Int32Array[] = [];
    for (let k = 0; k < this.length; k++) {
      const batch = new Int32Array(this.batchSize);
      batch.set(order.subarray(k * this.labeledBatchSize, (k + 1) * this.labeledBatchSize));
      for (let u = 0; u < unlabeledCount; u++) batch[this.labeledBatchSize + u] = this.nextUnlabeled();
      batches.push(batch);
    }
    return batches;
  }

  /** Iterates the batches of one new epoch, like a PyTorch batch sampler's `__iter__`. */
  [Symbol.iterator](): Iterator<Int32Array> {
    return this.epoch()[Symbol.iterator]();
  }

  private nextUnlabeled(): number {
    if (this.position >= this.pass.length) {
      this.pass = this.shuffled(this.unlabeled);
      this.position = 0;
    }
    return this.pass[this.position++]!;
  }

  private shuffled(indices: Int32Array): Int32Array {
    const perm = this.random.permutation(indices.length);
    return perm.map((i) => indices[i]!);
  }
}

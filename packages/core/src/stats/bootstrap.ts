/**
 * Percentile bootstrap confidence interval of a mean (Efron & Tibshirani 1993, ch. 13): draw B resamples
 * of the n units with replacement, take each resample's mean, and read the interval off their empirical
 * quantiles — [q(α/2), q(1 − α/2)] for confidence 1 − α — with numpy's default ('linear', Hyndman & Fan
 * type 7) quantile. Draws come from @mcsc/core's seeded `Random`, so the same values, seed and B give
 * the same interval on every platform.
 *
 * For paired comparisons the units are the paired differences (one per test volume and seed); the
 * interval treats them as independent draws, which units sharing a volume or a seed are not exactly,
 * so it is, if anything, narrow when seeds are few. With n < 2 there is nothing to resample: the
 * interval is [NaN, NaN].
 */
import { invalidValue } from '../internal/errors.js';
import { percentile } from '../metrics/percentile.js';
import { Random } from '../random.js';

export interface BootstrapOptions {
  /** Seed of the resampling (default 0). */
  seed?: number;
  /** Resamples B (default 10 000). */
  resamples?: number;
  /** Confidence level 1 − α in (0, 1) (default 0.95). */
  confidence?: number;
}

export interface BootstrapInterval {
  /** Units resampled. */
  readonly n: number;
  /** Mean of the values. */
  readonly mean: number;
  /** Lower and upper bound; NaN when n < 2. */
  readonly lo: number;
  readonly hi: number;
  readonly confidence: number;
  readonly resamples: number;
  readonly seed: number;
}

/** Percentile bootstrap interval of the mean of `values` (finite numbers). */
export function bootstrapMeanCi(values: ArrayLike<number>, options: BootstrapOptions = {}): BootstrapInterval {
  const fn = 'bootstrapMeanCi';
  const seed = options.seed ?? 0;
  const resamples = options.resamples ?? 10000;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(seed)) throw invalidValue(fn, 'options.seed', 'must be an integer', seed);
  if (!Number.isInteger(resamples) || resamples < 1) throw invalidValue(fn, 'options.resamples', 'must be a positive integer', resamples);
  if (!(confidence > 0 && confidence < 1)) throw invalidValue(fn, 'options.confidence', 'must lie in (0, 1)', confidence);
  const n = values.length;
  const x = Float64Array.from(values);
  if (x.some((v) => !Number.isFinite(v))) throw invalidValue(fn, 'values', 'must be finite numbers', values);
  let sum = 0;
  for (const v of x) sum += v;
  const mean = n === 0 ? NaN : sum / n;
  if (n < 2) return { n, mean, lo: NaN, hi: NaN, confidence, resamples, seed };
  const random = new Random(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[random.int(n)]!;
    means[b] = s / n;
  }
  const alpha = 1 - confidence;
  return { n, mean, lo: percentile(means, 100 * (alpha / 2)), hi: percentile(means, 100 * (1 - alpha / 2)), confidence, resamples, seed };
}

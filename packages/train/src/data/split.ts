/**
 * Deterministic splits of case ids into train / validation / test, by case (never by slice, so no
 * patient contributes to two subsets).
 */
import { Random } from '@mcsc/core';
import { McscError } from '@mcsc/graph';

/** How many cases go to each subset; the counts must add up to the number of cases. */
export interface SplitCounts {
  readonly train: number;
  readonly val: number;
  readonly test: number;
}

export interface CaseSplit {
  readonly train: readonly string[];
  readonly val: readonly string[];
  readonly test: readonly string[];
}

/**
 * Splits case ids by a seeded shuffle of their sorted order: the same ids, counts and seed give the
 * same split on every platform, whatever order the ids came in. Each subset keeps sorted order.
 */
export function splitCases(ids: readonly string[], counts: SplitCounts, seed: number): CaseSplit {
  const fn = 'splitCases';
  if (new Set(ids).size !== ids.length) throw new McscError(fn, `ids must be distinct, got ${JSON.stringify(ids)}`);
  for (const key of ['train', 'val', 'test'] as const) {
    if (!Number.isInteger(counts[key]) || counts[key] < 0) {
      throw new McscError(fn, `counts.${key} must be a non-negative integer, got ${counts[key]}`);
    }
  }
  const total = counts.train + counts.val + counts.test;
  if (total !== ids.length) {
    throw new McscError(fn, `counts ${JSON.stringify(counts)} add up to ${total}, expected the ${ids.length} ids`);
  }
  const sorted = [...ids].sort();
  const order = new Random(seed).permutation(sorted.length);
  const pick = (from: number, n: number) => Array.from(order.subarray(from, from + n), (i) => sorted[i]!).sort();
  return {
    train: pick(0, counts.train),
    val: pick(counts.train, counts.val),
    test: pick(counts.train + counts.val, counts.test),
  };
}

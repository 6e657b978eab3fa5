/**
 * Sample mean and standard deviation for reports that must not print a spread they do not have: the
 * standard deviation exists only for two or more values (one seed has no "± sd").
 */

export interface SampleSummary {
  /** Values summarised (NaN entries are left out). */
  readonly n: number;
  /** Arithmetic mean; NaN when n = 0. */
  readonly mean: number;
  /** Sample standard deviation √(Σ(x − x̄)² / (n − 1)); null when n < 2 (undefined, not 0). */
  readonly sd: number | null;
}

/** Mean and sample standard deviation of the non-NaN `values`. */
export function meanSd(values: ArrayLike<number>): SampleSummary {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    n++;
    sum += v;
  }
  const mean = n === 0 ? NaN : sum / n;
  if (n < 2) return { n, mean, sd: null };
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v)) ss += (v - mean) ** 2;
  }
  return { n, mean, sd: Math.sqrt(ss / (n - 1)) };
}

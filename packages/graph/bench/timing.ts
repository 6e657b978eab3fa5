/** Timing for the benchmarks of every package (graph, infer, train). */

/** Median of `runs` timings of `fn` after `warmup` untimed calls (default one), in ms. */
export async function medianMs(runs: number, fn: () => Promise<unknown>, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** The middle value of `values` (the upper one of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1]!;
}

/**
 * The Wilcoxon signed-rank test of paired differences d_i (Wilcoxon 1945), two-sided: H0 says the d_i
 * are symmetric about 0.
 *
 * - Zero differences are dropped (Wilcoxon's own rule, scipy's `zero_method='wilcox'`); n counts the rest.
 * - |d_i| are ranked 1 … n, tied values taking the mean of their ranks; W+ = Σ ranks of positive d_i,
 *   W− = Σ ranks of negative d_i, W+ + W− = n(n+1)/2.
 * - Exact p (no ties among |d_i|, n ≤ 50): under H0 each rank carries either sign with probability ½, so
 *   P(W+ = w) = #{subsets of {1 … n} summing to w} / 2ⁿ, counted by dynamic programming;
 *   p = min(1, 2·P(W ≤ min(W+, W−))).
 * - Normal approximation otherwise (ties, or n > 50): E[W+] = n(n+1)/4,
 *   Var[W+] = n(n+1)(2n+1)/24 − Σ_t (t³ − t)/48 over groups of t tied |d_i|,
 *   z = (W+ − E[W+]) / √Var[W+] (no continuity correction), p = 2·Φ(−|z|).
 *   These are scipy.stats.wilcoxon's formulas with `correction=False`.
 */
import { invalidValue } from '../internal/errors.js';
import { normalCdf } from './normal.js';

export type WilcoxonMethod = 'exact' | 'normal';

export interface WilcoxonOptions {
  /** `'auto'` (default): exact when n ≤ 50 and no |d| ties, else normal. `'exact'` requires no ties. */
  method?: 'auto' | WilcoxonMethod;
}

export interface WilcoxonResult {
  /** Non-zero differences ranked. */
  readonly n: number;
  /** Zero differences dropped. */
  readonly zeros: number;
  readonly wPlus: number;
  readonly wMinus: number;
  readonly method: WilcoxonMethod;
  /** Standardised W+ (normal method); null for the exact method. */
  readonly z: number | null;
  /** Two-sided p-value; 1 when no difference is non-zero. */
  readonly p: number;
}

const EXACT_MAX_N = 50;

/** Two-sided Wilcoxon signed-rank test of the paired differences `differences` (finite numbers). */
export function wilcoxonSignedRank(differences: ArrayLike<number>, options: WilcoxonOptions = {}): WilcoxonResult {
  const fn = 'wilcoxonSignedRank';
  const asked = options.method ?? 'auto';
  if (!['auto', 'exact', 'normal'].includes(asked)) throw invalidValue(fn, 'options.method', "must be 'auto', 'exact' or 'normal'", asked);
  const all = Array.from(differences);
  if (all.some((v) => !Number.isFinite(v))) throw invalidValue(fn, 'differences', 'must be finite numbers', differences);
  const d = all.filter((v) => v !== 0);
  const zeros = all.length - d.length;
  const n = d.length;
  // Average ranks of |d| (ascending), and the tie groups.
  const order = d.map((_, i) => i).sort((a, b) => Math.abs(d[a]!) - Math.abs(d[b]!));
  const rank = new Float64Array(n);
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && Math.abs(d[order[j + 1]!]!) === Math.abs(d[order[i]!]!)) j++;
    const t = j - i + 1;
    const r = (i + 1 + j + 1) / 2;
    for (let k = i; k <= j; k++) rank[order[k]!] = r;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  let wPlus = 0;
  let wMinus = 0;
  for (let i = 0; i < n; i++) {
    if (d[i]! > 0) wPlus += rank[i]!;
    else wMinus += rank[i]!;
  }
  const ties = tieTerm > 0;
  if (asked === 'exact' && ties) throw invalidValue(fn, 'options.method', "'exact' needs differences without ties in |d|", asked);
  if (asked === 'exact' && n > 1000) throw invalidValue(fn, 'differences', "has too many non-zero values for 'exact' (at most 1000)", n);
  const method: WilcoxonMethod = asked === 'auto' ? (n <= EXACT_MAX_N && !ties ? 'exact' : 'normal') : asked;
  if (n === 0) return { n, zeros, wPlus, wMinus, method, z: method === 'normal' ? 0 : null, p: 1 };
  if (method === 'exact')
    return { n, zeros, wPlus, wMinus, method, z: null, p: Math.min(1, 2 * exactLowerTail(n, Math.min(wPlus, wMinus))) };
  const mean = (n * (n + 1)) / 4;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48;
  const z = variance > 0 ? (wPlus - mean) / Math.sqrt(variance) : 0;
  return { n, zeros, wPlus, wMinus, method, z, p: Math.min(1, 2 * normalCdf(-Math.abs(z))) };
}

/** P(W ≤ w) for the signed-rank statistic of n untied ranks under H0. Counts are exact integers in float64 up to n = 50 (< 2⁵³), relative-precise beyond. */
function exactLowerTail(n: number, w: number): number {
  const max = (n * (n + 1)) / 2;
  const counts = new Float64Array(max + 1);
  counts[0] = 1;
  for (let k = 1; k <= n; k++) for (let s = max; s >= k; s--) counts[s]! += counts[s - k]!;
  let below = 0;
  for (let s = 0; s <= Math.floor(w); s++) below += counts[s]!;
  return below / 2 ** n;
}

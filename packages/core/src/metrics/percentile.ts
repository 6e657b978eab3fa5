/**
 * `numpy.percentile(values, q)` with numpy's default `method='linear'` (Hyndman & Fan type 7):
 * virtual index h = (n − 1)·q/100, result = lerp(v[⌊h⌋], v[⌊h⌋ + 1], h − ⌊h⌋) over the sorted values,
 * using numpy's `_lerp` (a + (b − a)·t, or b − (b − a)·(1 − t) when t ≥ 0.5) so results match bit for bit.
 */
import { invalidValue } from '../internal/errors.js';

/** @returns NaN for an empty input. The input is not modified. */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (!Number.isFinite(q) || q < 0 || q > 100) throw invalidValue('percentile', 'q', 'must lie in [0, 100]', q);
  const n = values.length;
  if (n === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const h = (n - 1) * (q / 100);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const t = h - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

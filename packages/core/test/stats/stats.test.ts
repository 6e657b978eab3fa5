// Statistics of `mcsc compare`: hand-computed cases (reference values from the formulas in the sources;
// the p-values agree with scipy.stats.wilcoxon(d, zero_method='wilcox', correction=False) to 1e-12).
import { bootstrapMeanCi, meanSd, normalCdf, wilcoxonSignedRank } from '../../src/index.js';
import { erfc } from '../../src/stats/normal.js';

describe('meanSd', () => {
  test('sd only from two values on; NaN left out', () => {
    expect(meanSd([0.5])).toEqual({ n: 1, mean: 0.5, sd: null });
    expect(meanSd([])).toEqual({ n: 0, mean: NaN, sd: null });
    // 1, 2, 3: mean 2, Σ(x − x̄)² = 2, sd = √(2/2) = 1
    expect(meanSd([1, 2, 3])).toEqual({ n: 3, mean: 2, sd: 1 });
    expect(meanSd([1, NaN, 3])).toEqual({ n: 2, mean: 2, sd: Math.SQRT2 });
  });
});

describe('normalCdf / erfc', () => {
  test.each([
    // x, erfc(x) (scipy.special.erfc)
    [0.1, 0.8875370839817152],
    [1, 0.15729920705028516],
    [1.99, 0.004888586800383002],
    [2.01, 0.004475150644751764],
    [2.4, 0.0006885138966450789],
    [2.6, 0.000236034416529349],
    [5, 1.5374597944280347e-12],
    [10, 2.0884875837625446e-45],
    [-3, 1.9999779095030015],
  ])('erfc(%f)', (x, expected) => {
    expect(Math.abs(erfc(x) - expected) / expected).toBeLessThan(1e-13);
  });
  test('Φ', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 14);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316300933, 15);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 14);
  });
});

describe('wilcoxonSignedRank', () => {
  test('d = 1 … 5 all positive: W+ = 15, W− = 0; exact p = 2/2⁵; normal z = 7.5/√13.75', () => {
    const exact = wilcoxonSignedRank([1, 2, 3, 4, 5]);
    expect(exact).toEqual({ n: 5, zeros: 0, wPlus: 15, wMinus: 0, method: 'exact', z: null, p: 0.0625 });
    const normal = wilcoxonSignedRank([1, 2, 3, 4, 5], { method: 'normal' });
    // E = 5·6/4 = 7.5, Var = 5·6·11/24 = 13.75
    expect(normal.z).toBeCloseTo(7.5 / Math.sqrt(13.75), 14);
    expect(normal.p).toBeCloseTo(0.043114446783075355, 12);
    // the sign of every difference flipped: same p, W+ and W− swapped
    expect(wilcoxonSignedRank([-1, -2, -3, -4, -5])).toMatchObject({ wPlus: 0, wMinus: 15, p: 0.0625 });
  });

  test('ties: average ranks and the tie correction (normal method)', () => {
    // |d| = 1, 1, 2, 2, 3 → ranks 1.5, 1.5, 3.5, 3.5, 5; W+ = 1.5 + 3.5 + 3.5 + 5 = 13.5, W− = 1.5.
    // Var = 13.75 − ((2³ − 2) + (2³ − 2))/48 = 13.5; z = (13.5 − 7.5)/√13.5.
    const r = wilcoxonSignedRank([1, -1, 2, 2, 3]);
    expect(r).toMatchObject({ n: 5, wPlus: 13.5, wMinus: 1.5, method: 'normal' });
    expect(r.z).toBeCloseTo(6 / Math.sqrt(13.5), 14);
    expect(r.p).toBeCloseTo(0.10247043485974937, 12);
    expect(() => wilcoxonSignedRank([1, -1, 2], { method: 'exact' })).toThrow(/ties/);
  });

  test('zeros are dropped (Wilcoxon): n = 8 of 9; exact p = 2·#{subsets of 1…8 with sum ≤ 5}/2⁸ = 2·10/256', () => {
    // |d| ranks: 0.3→1, 0.5→2, 1.1→3, 1.2→4, 2.0→5, 3.1→6, 4.4→7, 5.0→8; W− = 1 + 4 = 5.
    // Subsets with sum ≤ 5: {}, {1}, {2}, {3}, {1,2}, {4}, {1,3}, {5}, {1,4}, {2,3} → 10.
    const r = wilcoxonSignedRank([0.5, -1.2, 2.0, 3.1, -0.3, 4.4, 5.0, 0, 1.1]);
    expect(r).toEqual({ n: 8, zeros: 1, wPlus: 31, wMinus: 5, method: 'exact', z: null, p: 20 / 256 });
    expect(wilcoxonSignedRank([0.5, -1.2, 2.0, 3.1, -0.3, 4.4, 5.0, 0, 1.1], { method: 'normal' }).p).toBeCloseTo(0.0687035743228782, 12);
  });

  test('n > 50: the normal approximation', () => {
    const d = Array.from({ length: 60 }, (_, i) => (i + 1) * (i % 3 === 0 ? -1 : 1));
    const r = wilcoxonSignedRank(d);
    expect(r.method).toBe('normal');
    expect(r.p).toBeCloseTo(0.016733071607703435, 12);
    expect(wilcoxonSignedRank(d, { method: 'exact' }).p).toBeCloseTo(0.01613712308755133, 12);
  });

  test('no non-zero difference: p = 1; non-finite input rejected', () => {
    expect(wilcoxonSignedRank([0, 0])).toMatchObject({ n: 0, zeros: 2, p: 1 });
    expect(wilcoxonSignedRank([])).toMatchObject({ n: 0, p: 1 });
    expect(() => wilcoxonSignedRank([1, NaN])).toThrow(/finite/);
  });
});

describe('bootstrapMeanCi', () => {
  test('differences all in [1, 2]: the interval lies in [1, 2] and excludes 0', () => {
    const d = Array.from({ length: 30 }, (_, i) => 1 + (i % 10) / 9);
    const ci = bootstrapMeanCi(d, { seed: 7 });
    expect(ci.n).toBe(30);
    expect(ci.mean).toBeCloseTo(1.5, 14);
    expect(ci.lo).toBeGreaterThan(1);
    expect(ci.hi).toBeLessThan(2);
    expect(ci.lo).toBeLessThan(ci.mean);
    expect(ci.hi).toBeGreaterThan(ci.mean);
  });

  test('differences symmetric about 0: the interval contains 0; its half-width is about 1.96·sd/√n', () => {
    const d = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 1 : -1));
    const ci = bootstrapMeanCi(d, { seed: 3 });
    expect(ci.mean).toBe(0);
    expect(ci.lo).toBeLessThan(0);
    expect(ci.hi).toBeGreaterThan(0);
    // sd (population) = 1, n = 40: normal-theory half-width 1.96/√40 ≈ 0.31
    expect(Math.abs((ci.hi - ci.lo) / 2 - 1.96 / Math.sqrt(40))).toBeLessThan(0.05);
  });

  test('seeded: same seed, same interval; constant data, zero width; n < 2 has none', () => {
    const d = Array.from({ length: 20 }, (_, i) => Math.sin(i * 1.7) + 0.2);
    expect(bootstrapMeanCi(d, { seed: 11 })).toEqual(bootstrapMeanCi(d, { seed: 11 }));
    expect(bootstrapMeanCi(d, { seed: 11 })).not.toEqual(bootstrapMeanCi(d, { seed: 12 }));
    expect(bootstrapMeanCi([2, 2, 2], { resamples: 50 })).toMatchObject({ mean: 2, lo: 2, hi: 2, resamples: 50 });
    const one = bootstrapMeanCi([0.4]);
    expect(one.mean).toBe(0.4);
    expect(one.lo).toBeNaN();
    expect(one.hi).toBeNaN();
    expect(() => bootstrapMeanCi([1, NaN])).toThrow(/finite/);
    expect(() => bootstrapMeanCi([1, 2], { confidence: 95 })).toThrow(/confidence/);
  });

  test('a two-point sample: resample means take 3 values (a, (a+b)/2, b), so the 95 % interval is [a, b]', () => {
    // P(mean = a) = P(mean = b) = 1/4 > 2.5 %: both quantiles fall on the end points.
    expect(bootstrapMeanCi([0, 1], { seed: 5 })).toMatchObject({ lo: 0, hi: 1 });
  });
});

import ndarray from 'ndarray';
import { classPrevalence, Random, supConLoss } from '../../src/index.js';

/** The formula of docs/method/losses.md, term by term, with an explicit w_ij: the independent oracle of these tests. */
function supConByFormula(f: number[][], y: number[], tau: number): number {
  const n = y.length;
  const count = (c: number): number => y.filter((v) => v === c).length;
  const s = (i: number, j: number): number => f[i]!.reduce((acc, v, k) => acc + v * f[j]![k]!, 0) / tau;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const positives = [...Array(n).keys()].filter((j) => j !== i && y[j] === y[i]);
    let d = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const w = count(y[j]!) - (positives.includes(j) ? 1 : 0);
      d += Math.exp(s(i, j)) / w;
    }
    const sum = positives.reduce((acc, j) => acc + (s(i, j) - Math.log(d + 1e-6)), 0);
    total += -sum / (positives.length + 1e-6);
  }
  return total / n;
}

function features(rows: number[][]): ndarray.NdArray<Float64Array> {
  return ndarray(Float64Array.from(rows.flat()), [rows.length, rows[0]!.length]);
}

function randomUnitFeatures(random: Random, n: number, c: number): number[][] {
  return Array.from({ length: n }, () => {
    const v = Array.from({ length: c }, () => random.normal());
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

describe('supConLoss (class-balanced, docs/method/losses.md)', () => {
  test('two classes of two points, τ = 1, by hand', () => {
    // f = (1,0), (0,1), (1,0), (0,1); y = 0, 0, 1, 1; s_02 = s_13 = 1, every other s_ij = 0.
    // n_0 = n_1 = 2. For i = 0: P = {1}, w_01 = 2 − 1 = 1, w_02 = w_03 = 2,
    // D_0 = e⁰/1 + e¹/2 + e⁰/2 = 1.5 + e/2, ℓ_0 = −(s_01 − log(D_0 + 1e-6))/(1 + 1e-6) = log(1.5 + e/2 + 1e-6)/(1 + 1e-6).
    // The other three points are symmetric, so the loss is ℓ_0 ≈ 1.05052.
    const f = [
      [1, 0],
      [0, 1],
      [1, 0],
      [0, 1],
    ];
    const expected = Math.log(1.5 + Math.E / 2 + 1e-6) / (1 + 1e-6);
    expect(supConLoss(features(f), [0, 0, 1, 1], { temperature: 1 })).toBeCloseTo(expected, 12);
    expect(expected).toBeCloseTo(1.05052, 5);
  });

  test('three against one, a point without positives, τ = 1, by hand', () => {
    // f0 = (1,0), f1 = (0,1), f2 = (0.6,0.8), f3 = (−1,0); y = 0, 0, 0, 1; n_0 = 3, n_1 = 1.
    // s01 = 0, s02 = 0.6, s03 = −1, s12 = 0.8, s13 = 0, s23 = −0.6.
    // Positives weigh 1/(n_0 − 1) = 1/2, the negative (class 1) 1/n_1 = 1:
    //   D0 = (e^0 + e^0.6)/2 + e^−1,  ℓ0 = (2·log(D0 + 1e-6) − (0 + 0.6))/(2 + 1e-6)
    //   D1 = (e^0 + e^0.8)/2 + e^0,   ℓ1 = (2·log(D1 + 1e-6) − (0 + 0.8))/(2 + 1e-6)
    //   D2 = (e^0.6 + e^0.8)/2 + e^−0.6, ℓ2 = (2·log(D2 + 1e-6) − (0.6 + 0.8))/(2 + 1e-6)
    //   point 3 has no positive: ℓ3 = 0, yet it counts in the mean over 4.
    const f = [
      [1, 0],
      [0, 1],
      [0.6, 0.8],
      [-1, 0],
    ];
    const l = (d: number, s: number): number => (2 * Math.log(d + 1e-6) - s) / (2 + 1e-6);
    const l0 = l((1 + Math.exp(0.6)) / 2 + Math.exp(-1), 0.6);
    const l1 = l((1 + Math.exp(0.8)) / 2 + 1, 0.8);
    const l2 = l((Math.exp(0.6) + Math.exp(0.8)) / 2 + Math.exp(-0.6), 1.4);
    const expected = (l0 + l1 + l2 + 0) / 4;
    expect(supConLoss(features(f), [0, 0, 0, 1], { temperature: 1 })).toBeCloseTo(expected, 12);
    expect(supConLoss(features(f), [0, 0, 0, 1], { temperature: 1 })).toBeCloseTo(supConByFormula(f, [0, 0, 0, 1], 1), 12);
  });

  test.each([
    [1, 12, 4, 2, 0.1],
    [2, 30, 8, 3, 0.1],
    [3, 25, 5, 4, 0.5],
    [4, 7, 3, 1, 0.1],
  ])('matches the formula on random unit features (seed %i, N %i, C %i, K %i, τ %f)', (seed, n, c, k, tau) => {
    const random = new Random(seed);
    const f = randomUnitFeatures(random, n, c);
    const y = Array.from({ length: n }, () => random.int(k));
    expect(supConLoss(features(f), y, { temperature: tau })).toBeCloseTo(supConByFormula(f, y, tau), 10);
  });

  test('accepts an ndarray view and labels as an ndarray', () => {
    const random = new Random(9);
    const f = randomUnitFeatures(random, 6, 3);
    const y = [0, 1, 1, 2, 0, 2];
    // a transposed [C, N] buffer viewed as [N, C]
    const transposed = ndarray(Float64Array.from(f[0]!.flatMap((_, c) => f.map((row) => row[c]!))), [3, 6]).transpose(1, 0);
    expect(supConLoss(transposed, ndarray(Int32Array.from(y), [6]))).toBeCloseTo(supConByFormula(f, y, 0.1), 10);
  });

  test('empty input gives 0; all points distinct classes give 0', () => {
    expect(supConLoss(ndarray(new Float64Array(0), [0, 4]), [])).toBe(0);
    expect(
      supConLoss(
        features([
          [1, 0],
          [0, 1],
        ]),
        [0, 1],
      ),
    ).toBe(0);
  });

  test('rejects bad input', () => {
    expect(() => supConLoss(features([[1, 0]]), [0, 1])).toThrow(/supConLoss: labels.length must equal N = 1, got 2/);
    expect(() => supConLoss(features([[1, 0]]), [0.5])).toThrow(/supConLoss: labels must hold non-negative integers/);
    expect(() => supConLoss(features([[1, 0]]), [0], { temperature: -1 })).toThrow(/supConLoss: invalid options: options.temperature/);
    expect(() => supConLoss(features([[1, 0]]), [3], { numClasses: 2 })).toThrow(/integers in \[0, 2\)/);
  });
});

describe('classPrevalence', () => {
  test('counts and balancing weights', () => {
    // labels 0 0 0 1 2 2 with K = 4: n = 3 1 2 0; 1/n = 1/3 1 1/2 0; 1/(n − 1) = 1/2 0 1 0.
    const p = classPrevalence([0, 0, 0, 1, 2, 2], 4);
    expect(Array.from(p.counts)).toEqual([3, 1, 2, 0]);
    expect(Array.from(p.weights)).toEqual([1 / 3, 1, 1 / 2, 0]);
    expect(Array.from(p.positiveWeights)).toEqual([1 / 2, 0, 1, 0]);
  });

  test('rejects labels outside [0, K)', () => {
    expect(() => classPrevalence([0, 4], 4)).toThrow(/classPrevalence: labels must hold integers in \[0, 4\) \(element 1\), got 4/);
  });
});

import { consistencyWeight, contrastiveSliceCount, polyLr, sigmoidRampup, swinWarmupPolyFactor } from '../src/index.js';

describe('sigmoidRampup', () => {
  test.each<[number, number, number]>([
    [0, 200, Math.exp(-5)], // phase 1
    [100, 200, Math.exp(-5 * 0.25)], // phase ½
    [200, 200, 1],
    [300, 200, 1], // clipped
    [-5, 200, Math.exp(-5)], // clipped below
    [7, 0, 1], // no ramp
  ])('sigmoidRampup(%f, %f) = %f', (current, length, expected) => {
    expect(sigmoidRampup(current, length)).toBeCloseTo(expected, 15);
  });
});

describe('consistencyWeight: λ(t) = 0.1·exp(−5(1 − min(⌊t/150⌋, 200)/200)²)', () => {
  test.each<[number, number]>([
    [0, 0.1 * Math.exp(-5)], // ≈ 6.74e-4
    [149, 0.1 * Math.exp(-5)], // ⌊149/150⌋ = 0
    [150, 0.1 * Math.exp(-5 * (1 - 1 / 200) ** 2)],
    [15000, 0.1 * Math.exp(-5 * 0.25)], // step 100 of 200
    [29999, 0.1 * Math.exp(-5 * (1 - 199 / 200) ** 2)],
    [30000, 0.1],
    [40000, 0.1],
  ])('λ(%i) = %f', (t, expected) => {
    expect(consistencyWeight(t)).toBeCloseTo(expected, 15);
  });

  test('options and validation', () => {
    expect(consistencyWeight(300, { weight: 1, rampupLength: 4, divisor: 100 })).toBeCloseTo(Math.exp(-5 * 0.25 ** 2), 15);
    expect(() => consistencyWeight(-1)).toThrow(/consistencyWeight: iteration must be a non-negative integer, got -1/);
    expect(() => consistencyWeight(1, { divisor: 0 })).toThrow(/consistencyWeight: invalid options: options.divisor/);
  });
});

describe('polyLr', () => {
  test.each<[number, number, number]>([
    [0, 40000, 5e-4],
    [20000, 40000, 5e-4 * 0.5 ** 0.9],
    [39999, 40000, 5e-4 * (1 / 40000) ** 0.9],
    [40000, 40000, 0],
  ])('polyLr(5e-4, %i, %i) = %f', (t, total, expected) => {
    expect(polyLr(5e-4, t, total)).toBeCloseTo(expected, 18);
  });

  test('rejects iterations outside [0, T]', () => {
    expect(() => polyLr(5e-4, 40001, 40000)).toThrow(/polyLr: iteration must lie in \[0, maxIterations = 40000\], got 40001/);
  });
});

describe('swinWarmupPolyFactor', () => {
  // E = 100 epochs of n = 10 iterations: E_w = 5, W = 50, poly span (100 − 5)·10 = 950.
  const opts = { epochs: 100, itersPerEpoch: 10 };
  test.each<[number, number]>([
    [0, 1e-3], // a = 0
    [25, 1e-3 * 0.5 + 0.5], // a = ½ → 0.5005
    [50, 1], // a = 1, end of warm-up
    [51, (1 - 1 / 950) ** 0.9],
    [525, 0.5 ** 0.9],
    [1000, 0],
  ])('t = %i → %f', (t, expected) => {
    expect(swinWarmupPolyFactor(t, opts)).toBeCloseTo(expected, 15);
  });

  test('fewer than 20 epochs: no warm-up, poly from t = 0', () => {
    // E = 10 → E_w = 0: factor = (1 − t/(10·4))^0.9
    expect(swinWarmupPolyFactor(0, { epochs: 10, itersPerEpoch: 4 })).toBe(1);
    expect(swinWarmupPolyFactor(20, { epochs: 10, itersPerEpoch: 4 })).toBeCloseTo(0.5 ** 0.9, 15);
  });

  test('validation', () => {
    expect(() => swinWarmupPolyFactor(0, { epochs: 0, itersPerEpoch: 4 })).toThrow(/swinWarmupPolyFactor: invalid options: options.epochs/);
  });
});

describe('contrastiveSliceCount', () => {
  test.each<[number, number]>([
    [0, 2],
    [2999, 2],
    [3000, 4],
    [40000, 4],
  ])('t = %i → %i of B = 4 (B_l = 2)', (t, expected) => {
    expect(contrastiveSliceCount(t, { numLabeled: 2, batchSize: 4 })).toBe(expected);
  });
});

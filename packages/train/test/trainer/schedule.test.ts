import { resolveConfig } from '../../src/trainer/config';
import { stepSchedule } from '../../src/trainer/schedule';

describe('per-step schedule (docs/method/optimisation.md, losses.md#consistency-weight)', () => {
  // The paper run on ACDC with 3 labeled patients: 68 labeled slices, B_l = 2 → n = 34 batches per epoch,
  // E = ⌊40000/34⌋ + 1 = 1177 epochs, E_w = ⌊1177/20⌋ = 58, warm-up W = 58·34 = 1972 iterations.
  const paper = resolveConfig('paper');
  const at = (t: number, batch = 4) => stepSchedule(paper, t, 34, batch);

  const cases: [number, { cnn: number; trans: number; lambda: number; slices: number }][] = [
    [0, { cnn: 5e-4, trans: 1e-4 * 1e-3, lambda: 0.1 * Math.exp(-5), slices: 2 }],
    [
      986,
      {
        cnn: 5e-4 * (1 - 986 / 40000) ** 0.9,
        trans: 1e-4 * (1e-3 * 0.5 + 0.5),
        lambda: 0.1 * Math.exp(-5 * (1 - 6 / 200) ** 2),
        slices: 2,
      },
    ],
    [1972, { cnn: 5e-4 * (1 - 1972 / 40000) ** 0.9, trans: 1e-4, lambda: 0.1 * Math.exp(-5 * (1 - 13 / 200) ** 2), slices: 2 }],
    [
      2999,
      {
        cnn: 5e-4 * (1 - 2999 / 40000) ** 0.9,
        trans: 1e-4 * (1 - (2999 - 1972) / ((1177 - 58) * 34)) ** 0.9,
        lambda: 0.1 * Math.exp(-5 * (1 - 19 / 200) ** 2),
        slices: 2,
      },
    ],
    [
      3000,
      {
        cnn: 5e-4 * (1 - 3000 / 40000) ** 0.9,
        trans: 1e-4 * (1 - (3000 - 1972) / ((1177 - 58) * 34)) ** 0.9,
        lambda: 0.1 * Math.exp(-5 * (1 - 20 / 200) ** 2),
        slices: 4,
      },
    ],
    [39999, { cnn: 5e-4 * (1 / 40000) ** 0.9, trans: 1e-4 * (1 - (39999 - 1972) / ((1177 - 58) * 34)) ** 0.9, lambda: 0.1, slices: 4 }],
  ];
  test.each(cases)('t = %i', (t, want) => {
    const s = at(t);
    expect(s.lr.cnn).toBeCloseTo(want.cnn, 15);
    expect(s.lr.proj).toBeCloseTo(want.cnn, 15);
    expect(s.lr.trans).toBeCloseTo(want.trans, 15);
    expect(s.ctWeight).toBeCloseTo(want.lambda, 15);
    expect(s.contrastWeight).toBe(0.001);
    expect(s.contrastSlices).toBe(want.slices);
  });

  test('a graph of only the labeled slices never contrasts more than B_l; no warm-up means the CNN poly', () => {
    expect(at(5000, 2).contrastSlices).toBe(2);
    const plain = resolveConfig('paper', [{ optim: { transformerWarmup: false } }]);
    expect(stepSchedule(plain, 100, 34, 4).lr.trans).toBeCloseTo(1e-4 * (1 - 100 / 40000) ** 0.9, 15);
  });
});

import { Random, TwoStreamBatchSampler } from '../src/index.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('TwoStreamBatchSampler', () => {
  // 7 labeled slices (0–6), 5 unlabeled (100–104), B = 4 with B_l = 2.
  const options = { labeled: range(0, 7), unlabeled: range(100, 105), batchSize: 4, labeledBatchSize: 2 };

  test('an epoch is ⌊7/2⌋ = 3 batches of 2 labeled then 2 unlabeled indices', () => {
    const sampler = new TwoStreamBatchSampler({ ...options, random: 1 });
    expect(sampler.length).toBe(3);
    const batches = sampler.epoch();
    expect(batches).toHaveLength(3);
    for (const batch of batches) {
      expect(batch).toHaveLength(4);
      expect(Array.from(batch.subarray(0, 2)).every((i) => i < 7)).toBe(true);
      expect(Array.from(batch.subarray(2)).every((i) => i >= 100 && i < 105)).toBe(true);
    }
    // one pass over the labeled indices: 6 distinct, the seventh dropped
    const labeled = batches.flatMap((b) => Array.from(b.subarray(0, 2)));
    expect(new Set(labeled).size).toBe(6);
  });

  test('deterministic for a seed, different across seeds; a Random may be passed', () => {
    const a = new TwoStreamBatchSampler({ ...options, random: 7 });
    const b = new TwoStreamBatchSampler({ ...options, random: new Random(7) });
    const c = new TwoStreamBatchSampler({ ...options, random: 8 });
    const epochs = (s: TwoStreamBatchSampler): number[][] => [...s.epoch(), ...s.epoch()].map((x) => Array.from(x));
    const ea = epochs(a);
    expect(epochs(b)).toEqual(ea);
    expect(epochs(c)).not.toEqual(ea);
  });

  test("'persistent' stream: consecutive unlabeled draws run through whole shuffled passes across epochs", () => {
    const sampler = new TwoStreamBatchSampler({ ...options, random: 3 });
    const drawn: number[] = [];
    for (let e = 0; e < 5; e++) for (const batch of sampler) drawn.push(...batch.subarray(2)); // 5 epochs × 3 batches × 2 = 30 = 6 passes
    for (let pass = 0; pass < 6; pass++) expect(drawn.slice(pass * 5, pass * 5 + 5).sort()).toEqual(range(100, 105));
  });

  test("'perEpoch' stream restarts with every epoch, as the reference", () => {
    const sampler = new TwoStreamBatchSampler({ ...options, random: 4, unlabeledStream: 'perEpoch' });
    for (let e = 0; e < 3; e++) {
      const drawn = sampler.epoch().flatMap((b) => Array.from(b.subarray(2))); // 6 draws: one pass of 5 plus one
      expect(drawn.slice(0, 5).sort()).toEqual(range(100, 105));
    }
  });

  test('all-labeled batches need no unlabeled indices', () => {
    const sampler = new TwoStreamBatchSampler({ labeled: range(0, 4), unlabeled: [], batchSize: 2, labeledBatchSize: 2, random: 1 });
    expect(
      sampler
        .epoch()
        .flatMap((b) => Array.from(b))
        .sort(),
    ).toEqual([0, 1, 2, 3]);
  });

  test('rejects impossible configurations', () => {
    expect(() => new TwoStreamBatchSampler({ ...options, labeledBatchSize: 5, random: 1 })).toThrow(
      /TwoStreamBatchSampler: options.labeledBatchSize must not exceed batchSize 4, got 5/,
    );
    expect(() => new TwoStreamBatchSampler({ ...options, labeled: [0], random: 1 })).toThrow(
      /options.labeled.length must be at least labeledBatchSize 2/,
    );
    expect(() => new TwoStreamBatchSampler({ ...options, unlabeled: [], random: 1 })).toThrow(/options.unlabeled must not be empty/);
    expect(() => new TwoStreamBatchSampler({ ...options, labeled: [0, -1], random: 1 })).toThrow(/invalid options: options.labeled/);
  });
});

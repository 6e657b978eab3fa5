import { generateSyntheticCardiacDataset, syntheticCardiacDataset, type SyntheticPatient } from '../../src/data/synthetic-cardiac';
import { splitCases } from '../../src/data/split';

const patients = generateSyntheticCardiacDataset({ seed: 42, numPatients: 8 });

function sliceCounts(p: SyntheticPatient, z: number): number[] {
  const n = p.shape[1] * p.shape[2];
  const counts = [0, 0, 0, 0];
  for (const l of p.label.subarray(z * n, (z + 1) * n)) counts[l]!++;
  return counts;
}

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))]!;
}

test('shapes, ids, value ranges', () => {
  expect(patients.map((p) => p.id)).toEqual([
    'synth001',
    'synth002',
    'synth003',
    'synth004',
    'synth005',
    'synth006',
    'synth007',
    'synth008',
  ]);
  for (const p of patients) {
    const [d, h, w] = p.shape;
    expect(d).toBeGreaterThanOrEqual(6);
    expect(d).toBeLessThanOrEqual(10);
    expect([h, w]).toEqual([128, 128]);
    expect(p.image).toHaveLength(d * h * w);
    expect(p.label).toHaveLength(d * h * w);
    expect(p.image.reduce((a, b) => Math.min(a, b))).toBe(0);
    expect(p.image.reduce((a, b) => Math.max(a, b))).toBe(1);
    expect(p.label.reduce((a, b) => Math.max(a, b))).toBe(3);
    expect(p.spacing[1]).toBeCloseTo(2.5, 6);
  }
  const custom = generateSyntheticCardiacDataset({ seed: 1, numPatients: 1, slicesPerPatient: 4, size: [64, 80] })[0]!;
  expect(custom.shape).toEqual([4, 64, 80]);
});

test('deterministic per seed; more patients only append patients', () => {
  const again = generateSyntheticCardiacDataset({ seed: 42, numPatients: 3 });
  again.forEach((p, i) => {
    expect(p.shape).toEqual(patients[i]!.shape);
    expect(Buffer.from(p.image.buffer).equals(Buffer.from(patients[i]!.image.buffer))).toBe(true);
    expect(Buffer.from(p.label.buffer).equals(Buffer.from(patients[i]!.label.buffer))).toBe(true);
  });
  const other = generateSyntheticCardiacDataset({ seed: 43, numPatients: 1 })[0]!;
  expect(Buffer.from(other.label.buffer).equals(Buffer.from(patients[0]!.label.buffer))).toBe(false);
});

test('every class in every patient; anatomy runs from base to apex', () => {
  for (const p of patients) {
    const d = p.shape[0];
    const base = sliceCounts(p, 0);
    const apex = sliceCounts(p, d - 1);
    expect(base.slice(1).every((c) => c > 0)).toBe(true); // RV, myocardium, LV at the base
    expect(apex[1]).toBe(0); // the RV is gone at the apex
    for (let z = 0; z < d; z++) expect(sliceCounts(p, z)[2]).toBeGreaterThan(0); // myocardium everywhere
    expect(base[2]! + base[3]!).toBeGreaterThan(1.5 * (apex[2]! + apex[3]!)); // the LV shrinks
  }
});

test('neighbouring slices are similar but not equal', () => {
  for (const p of patients) {
    const [d, h, w] = p.shape;
    const n = h * w;
    for (let z = 0; z + 1 < d; z++) {
      const a = p.label.subarray(z * n, (z + 1) * n);
      const b = p.label.subarray((z + 1) * n, (z + 2) * n);
      let inter = 0;
      let union = 0;
      let changed = 0;
      for (let i = 0; i < n; i++) {
        if (a[i]! > 0 && b[i]! > 0) inter++;
        if (a[i]! > 0 || b[i]! > 0) union++;
        if (a[i] !== b[i]) changed++;
      }
      expect(changed).toBeGreaterThan(0);
      expect(inter / union).toBeGreaterThan(0.15);
    }
  }
});

test('patients differ in size and contrast', () => {
  const baseLv = patients.map((p) => sliceCounts(p, 0)[3]!);
  expect(Math.max(...baseLv) / Math.min(...baseLv)).toBeGreaterThan(1.5);
  const meanLv = patients.map((p) => {
    let s = 0;
    let c = 0;
    p.label.forEach((l, i) => {
      if (l === 3) {
        s += p.image[i]!;
        c++;
      }
    });
    return s / c;
  });
  expect(Math.max(...meanLv) - Math.min(...meanLv)).toBeGreaterThan(0.08);
});

test('not separable by intensity: background shares the ranges of the LV and the myocardium', () => {
  for (const p of patients) {
    const byClass: number[][] = [[], [], [], []];
    p.label.forEach((l, i) => byClass[l]!.push(p.image[i]!));
    const [lvLo, lvHi] = [quantile(byClass[3]!, 0.1), quantile(byClass[3]!, 0.9)];
    const [myLo, myHi] = [quantile(byClass[2]!, 0.1), quantile(byClass[2]!, 0.9)];
    const bgLikeLv = byClass[0]!.filter((v) => v >= lvLo && v <= lvHi).length;
    const bgLikeMyo = byClass[0]!.filter((v) => v >= myLo && v <= myHi).length;
    expect(bgLikeLv).toBeGreaterThan(0.5 * byClass[3]!.length);
    expect(bgLikeMyo).toBeGreaterThan(3 * byClass[2]!.length);
  }
});

test('as a segmentation task, split by patient', () => {
  const options = { seed: 42, numPatients: 8, size: 48, split: { train: 5, val: 1, test: 2 } } as const;
  const ds = syntheticCardiacDataset(options);
  const small = generateSyntheticCardiacDataset(options);
  expect(ds.numClasses).toBe(4);
  const trainCases = [...new Set(ds.train.map((s) => s.caseId))];
  expect(trainCases).toHaveLength(5);
  expect(ds.val).toHaveLength(1);
  expect(ds.test).toHaveLength(2);
  const all = [...trainCases, ...ds.val.map((v) => v.caseId), ...ds.test.map((v) => v.caseId)];
  expect(new Set(all).size).toBe(8);
  const byId = new Map(small.map((p) => [p.id, p]));
  expect(ds.train.length).toBe(trainCases.reduce((s, id) => s + byId.get(id)!.shape[0], 0));
  const t = ds.test[0]!;
  expect(Buffer.from(t.label.buffer).equals(Buffer.from(byId.get(t.caseId)!.label.buffer))).toBe(true);
  expect(syntheticCardiacDataset(options).test.map((v) => v.caseId)).toEqual(ds.test.map((v) => v.caseId));
});

describe('splitCases', () => {
  const ids = ['c', 'a', 'e', 'b', 'd', 'f'];
  test('deterministic, disjoint, independent of input order', () => {
    const s = splitCases(ids, { train: 3, val: 1, test: 2 }, 5);
    expect([...s.train, ...s.val, ...s.test].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(s.train).toHaveLength(3);
    expect(splitCases([...ids].reverse(), { train: 3, val: 1, test: 2 }, 5)).toEqual(s);
    const seeds = new Set(Array.from({ length: 10 }, (_, seed) => JSON.stringify(splitCases(ids, { train: 3, val: 1, test: 2 }, seed))));
    expect(seeds.size).toBeGreaterThan(1);
  });
  test('counts must add up', () => {
    expect(() => splitCases(ids, { train: 3, val: 1, test: 1 }, 0)).toThrow(
      'splitCases: counts {"train":3,"val":1,"test":1} add up to 5, expected the 6 ids',
    );
    expect(() => splitCases(['a', 'a'], { train: 2, val: 0, test: 0 }, 0)).toThrow(/ids must be distinct/);
  });
});

test('option errors quote the value', () => {
  expect(() => generateSyntheticCardiacDataset({ seed: 1, numPatients: 0 })).toThrow('numPatients must be a positive integer, got 0');
  expect(() => generateSyntheticCardiacDataset({ seed: 1, numPatients: 1, slicesPerPatient: [5, 3] })).toThrow(
    /slicesPerPatient .* got \[5,3\]/,
  );
  expect(() => generateSyntheticCardiacDataset({ seed: 1, numPatients: 1, size: 8 })).toThrow(/size must be an integer ≥ 16 .* got 8/);
});

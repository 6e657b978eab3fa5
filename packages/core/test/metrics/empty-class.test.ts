// The empty-class rule (docs/method/evaluation.md "Empty masks"): hand-computed 1-D cases.
//
// Three volumes of 6 voxels, K = 3 (classes a = 1, b = 2); class b is absent from the ground truth of
// volumes B and C (B: not predicted either; C: predicted, a false positive).
//   A: gt 1 1 2 2 0 0, pred 1 1 2 0 0 0
//   B: gt 1 1 0 0 0 0, pred 1 1 0 0 0 0
//   C: gt 1 1 0 0 0 0, pred 1 0 0 0 2 2
// In 1-D every voxel of a mask of length ≤ 2 is a surface voxel. For P = {i}, G = {i, i+1}:
// Dice 2·1/3 = 2/3, Jaccard 1/2, d(P→G) = [0], d(G→P) = [0, 1], HD95 = percentile([0, 0, 1], 95) = 0.9
// (h = 2·0.95 = 1.9 → 0 + 0.9·(1 − 0)), ASD = mean d(P→G) = 0.
import ndarray from 'ndarray';
import { evaluateSegmentation, SegmentationMetricAggregator, type EmptyClassRule, type MetricValues } from '../../src/index.js';

const v = (s: string) => ndarray(Int32Array.from(s.split(' ').map(Number)), [6]);
const VOLUMES = {
  A: { gt: v('1 1 2 2 0 0'), pred: v('1 1 2 0 0 0') },
  B: { gt: v('1 1 0 0 0 0'), pred: v('1 1 0 0 0 0') },
  C: { gt: v('1 1 0 0 0 0'), pred: v('1 0 0 0 2 2') },
};
type Id = keyof typeof VOLUMES;

const m = (dice: number, jaccard: number, hd95: number, asd: number): MetricValues => ({ dice, jaccard, hd95, asd });
const NAN = m(NaN, NaN, NaN, NaN);

/** Per (volume, class): the expected values under each rule. */
const PAIRS: readonly [Id, 'a' | 'b', MetricValues, MetricValues][] = [
  // volume, class, 'published', 'ignore'
  ['A', 'a', m(1, 1, 0, 0), m(1, 1, 0, 0)],
  ['A', 'b', m(2 / 3, 1 / 2, 0.9, 0), m(2 / 3, 1 / 2, 0.9, 0)],
  ['B', 'a', m(1, 1, 0, 0), m(1, 1, 0, 0)],
  ['B', 'b', m(0, 0, 0, 0), NAN], // absent, not predicted: published Dice 0 (medpy dc), distances 0 (empty prediction)
  ['C', 'a', m(2 / 3, 1 / 2, 0.9, 0), m(2 / 3, 1 / 2, 0.9, 0)],
  ['C', 'b', m(0, 0, NaN, NaN), NAN], // absent, predicted: published Dice 0, distances undefined
];

function expectMetrics(actual: MetricValues, expected: MetricValues): void {
  for (const key of ['dice', 'jaccard', 'hd95', 'asd'] as const) {
    if (Number.isNaN(expected[key])) expect(actual[key]).toBeNaN();
    else expect(actual[key]).toBeCloseTo(expected[key], 12);
  }
}

describe('empty-class rule', () => {
  test.each(
    PAIRS.flatMap(([id, cls, published, ignore]) => [
      [id, cls, 'published' as EmptyClassRule, published],
      [id, cls, 'ignore' as EmptyClassRule, ignore],
    ]),
  )('volume %s, class %s, %s', (id, cls, rule, expected) => {
    const { pred, gt } = VOLUMES[id];
    const result = evaluateSegmentation(pred, gt, { numClasses: 3, classNames: ['a', 'b'], emptyClass: rule });
    expect(result.emptyClass).toBe(rule);
    const row = result.perClass[cls === 'a' ? 0 : 1]!;
    expectMetrics(row, expected);
    expect(row.referenceEmpty).toBe(id !== 'A' && cls === 'b');
  });

  test("the default is 'published'", () => {
    const { pred, gt } = VOLUMES.B;
    const result = evaluateSegmentation(pred, gt, { numClasses: 3 });
    expect(result.emptyClass).toBe('published');
    expect(result.perClass[1]!.dice).toBe(0);
    expect(new SegmentationMetricAggregator({ numClasses: 3 }).emptyClass).toBe('published');
  });

  test.each([
    // rule, class a mean, class b mean, b skipped (dice, jaccard, hd95, asd), overall mean, per-volume mean Dice
    ['published', m(8 / 9, 5 / 6, 0.3, 0), m(2 / 9, 1 / 6, 0.45, 0), [0, 0, 1, 1], m(5 / 9, 1 / 2, 0.375, 0), [5 / 6, 1 / 2, 1 / 3]],
    ['ignore', m(8 / 9, 5 / 6, 0.3, 0), m(2 / 3, 1 / 2, 0.9, 0), [2, 2, 2, 2], m(7 / 9, 2 / 3, 0.6, 0), [5 / 6, 1, 2 / 3]],
  ] as const)(
    'aggregate under %s: per-class means over the kept volumes, mean of class means, counts',
    (rule, a, b, skipped, mean, perVolume) => {
      const agg = new SegmentationMetricAggregator({ numClasses: 3, classNames: ['a', 'b'], emptyClass: rule });
      for (const id of ['A', 'B', 'C'] as const) agg.add(VOLUMES[id].pred, VOLUMES[id].gt, { id });
      const s = agg.aggregate();
      expect(s.emptyClass).toBe(rule);
      expectMetrics(s.perClass[0]!, a);
      expectMetrics(s.perClass[1]!, b);
      expect(s.perClass[0]).toMatchObject({ emptyReference: 0, skipped: { dice: 0, jaccard: 0, hd95: 0, asd: 0 } });
      expect(s.perClass[1]!.emptyReference).toBe(2);
      expect(s.perClass[1]!.skipped).toEqual({ dice: skipped[0], jaccard: skipped[1], hd95: skipped[2], asd: skipped[3] });
      expectMetrics(s.mean, mean);
      s.perVolume.forEach((vol, i) => expect(vol.mean.dice).toBeCloseTo(perVolume[i]!, 12));
    },
  );

  test("'ignore': a class absent from every volume has NaN means and drops out of the overall mean", () => {
    const agg = new SegmentationMetricAggregator({ numClasses: 3, emptyClass: 'ignore' });
    agg.add(VOLUMES.B.pred, VOLUMES.B.gt);
    agg.add(VOLUMES.C.pred, VOLUMES.C.gt);
    const s = agg.aggregate();
    expect(s.perClass[1]!.dice).toBeNaN();
    expect(s.perClass[1]!.skipped.dice).toBe(2);
    expect(s.mean.dice).toBeCloseTo((1 + 2 / 3) / 2, 12); // class a only
    // published: the same class pulls the mean down by half
    const published = new SegmentationMetricAggregator({ numClasses: 3 });
    published.add(VOLUMES.B.pred, VOLUMES.B.gt);
    published.add(VOLUMES.C.pred, VOLUMES.C.gt);
    expect(published.aggregate().mean.dice).toBeCloseTo(((1 + 2 / 3) / 2 + 0) / 2, 12);
  });

  test('rejects an unknown rule', () => {
    const { pred, gt } = VOLUMES.A;
    expect(() => evaluateSegmentation(pred, gt, { numClasses: 3, emptyClass: 'skip' as EmptyClassRule })).toThrow(/emptyClass/);
    expect(() => new SegmentationMetricAggregator({ numClasses: 3, emptyClass: 'zero' as EmptyClassRule })).toThrow(/emptyClass/);
  });
});

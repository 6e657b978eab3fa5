import ndarray from 'ndarray';
import { asd, dice, evaluateSegmentation, hd95, jaccard, SegmentationMetricAggregator } from '../../src/index.js';

/** A [2, 4, 5] label volume from two 4×5 slices written as strings of class digits. */
function volume(...slices: string[][]): ndarray.NdArray<Int32Array> {
  const values = slices.flatMap((rows) => rows.flatMap((r) => r.split('').map(Number)));
  return ndarray(Int32Array.from(values), [slices.length, slices[0]!.length, slices[0]![0]!.length]);
}

function binary(labels: ndarray.NdArray<Int32Array>, c: number): ndarray.NdArray<Uint8Array> {
  return ndarray(
    Uint8Array.from(labels.data, (v) => (v === c ? 1 : 0)),
    labels.shape.slice(),
  );
}

// Class 1 present in both; class 2 only in the ground truth (empty prediction); class 3 only in the
// prediction (empty ground truth); K = 4.
const gt = volume(['00000', '01120', '01120', '00000'], ['00000', '01100', '01220', '00000']);
const pred = volume(['00000', '01100', '01100', '00003'], ['00000', '01100', '01100', '00000']);

describe('evaluateSegmentation', () => {
  test('per class: medpy metrics, and the reference convention for empty predictions', () => {
    const result = evaluateSegmentation(pred, gt, { numClasses: 4, classNames: ['RV', 'Myo', 'LV'] });
    expect(result.unit).toBe('voxel');
    const [c1, c2, c3] = result.perClass;
    expect(c1).toMatchObject({
      classIndex: 1,
      name: 'RV',
      dice: dice(binary(pred, 1), binary(gt, 1)),
      jaccard: jaccard(binary(pred, 1), binary(gt, 1)),
      hd95: hd95(binary(pred, 1), binary(gt, 1)),
      asd: asd(binary(pred, 1), binary(gt, 1)),
      predictionEmpty: false,
      referenceEmpty: false,
    });
    // class 1: |P| = 8, |G| = 7, |P ∩ G| = 7 → Dice 14/15
    expect(c1!.dice).toBeCloseTo(14 / 15, 14);
    // class 2: empty prediction → Dice 0, HD95 = ASD = 0 (reference: `return dc, 0, 0`)
    expect(c2).toMatchObject({
      classIndex: 2,
      name: 'Myo',
      dice: 0,
      jaccard: 0,
      hd95: 0,
      asd: 0,
      predictionEmpty: true,
      referenceEmpty: false,
    });
    // class 3: prediction without ground truth → Dice 0, distances undefined (NaN)
    expect(c3).toMatchObject({ dice: 0, predictionEmpty: false, referenceEmpty: true });
    expect(c3!.hd95).toBeNaN();
    expect(c3!.asd).toBeNaN();
    // means skip NaN: HD95 over classes 1 and 2 only
    expect(result.mean.dice).toBeCloseTo((14 / 15 + 0 + 0) / 3, 14);
    expect(result.mean.hd95).toBeCloseTo((c1!.hd95 + 0) / 2, 14);
  });

  test("'mm' uses the spacing, 'voxel' ignores it", () => {
    const spacing = [10, 1.5, 0.5];
    const mm = evaluateSegmentation(pred, gt, { numClasses: 4, spacing });
    expect(mm.unit).toBe('mm');
    expect(mm.perClass[0]!.hd95).toBeCloseTo(hd95(binary(pred, 1), binary(gt, 1), spacing), 14);
    const voxel = evaluateSegmentation(pred, gt, { numClasses: 4, spacing, spacingMode: 'voxel' });
    expect(voxel.unit).toBe('voxel');
    expect(voxel.perClass[0]!.hd95).toBeCloseTo(hd95(binary(pred, 1), binary(gt, 1)), 14);
    expect(mm.perClass[0]!.dice).toBe(voxel.perClass[0]!.dice);
  });

  test('both empty: Dice 0 (medpy dc), distances 0', () => {
    const zeros = volume(['00000', '00000', '00000', '00000']);
    const result = evaluateSegmentation(zeros, zeros, { numClasses: 2 });
    expect(result.perClass[0]).toMatchObject({ dice: 0, jaccard: 0, hd95: 0, asd: 0, predictionEmpty: true, referenceEmpty: true });
  });

  test('rejects bad options and labels', () => {
    expect(() => evaluateSegmentation(pred, gt, { numClasses: 4, spacingMode: 'mm' })).toThrow(
      /evaluateSegmentation: spacing is required when spacingMode is 'mm'/,
    );
    expect(() => evaluateSegmentation(pred, gt, { numClasses: 3 })).toThrow(/evaluateSegmentation: pred must hold integers in \[0, 3\)/);
    expect(() => evaluateSegmentation(pred, gt, { numClasses: 4, classNames: ['a'] })).toThrow(
      /options.classNames must name the 3 foreground classes/,
    );
    expect(() => evaluateSegmentation(pred, gt, { numClasses: 1 })).toThrow(/evaluateSegmentation: invalid options: options.numClasses/);
  });
});

describe('SegmentationMetricAggregator', () => {
  test('per-volume results, per-class means over volumes, mean of class means', () => {
    const aggregator = new SegmentationMetricAggregator({ numClasses: 4, spacingMode: 'mm', classNames: ['RV', 'Myo', 'LV'] });
    const a = aggregator.add(pred, gt, { spacing: [10, 1, 1], id: 'patient001' });
    const b = aggregator.add(gt, gt, { spacing: [5, 1, 1] });
    expect(aggregator.count).toBe(2);
    expect(a.id).toBe('patient001');
    expect(b.id).toBe('1');
    const summary = aggregator.aggregate();
    expect(summary.unit).toBe('mm');
    expect(summary.volumes).toBe(2);
    expect(summary.perVolume.map((v) => v.id)).toEqual(['patient001', '1']);
    // class 1: (14/15 + 1)/2; class 2: (0 + 1)/2; class 3: volume b has no class 3 anywhere (Dice 0, distances 0),
    // volume a has a prediction without ground truth (Dice 0, distances NaN, skipped).
    const [rv, myo, lv] = summary.perClass;
    expect(rv!.dice).toBeCloseTo((14 / 15 + 1) / 2, 14);
    expect(myo!.dice).toBeCloseTo(0.5, 14);
    expect(myo!.hd95).toBe(0); // 0 (empty prediction) and 0 (identical masks)
    expect(lv).toMatchObject({ dice: 0, hd95: 0, asd: 0, skipped: { hd95: 1, asd: 1 } });
    expect(rv!.hd95).toBeCloseTo((a.perClass[0]!.hd95 + 0) / 2, 14);
    expect(summary.mean.dice).toBeCloseTo((rv!.dice + myo!.dice + lv!.dice) / 3, 14);
    aggregator.reset();
    expect(aggregator.count).toBe(0);
    expect(aggregator.aggregate().mean.dice).toBeNaN();
  });

  test("'mm' mode requires a spacing per volume; 'voxel' is the default", () => {
    const mm = new SegmentationMetricAggregator({ numClasses: 4, spacingMode: 'mm' });
    expect(() => mm.add(pred, gt)).toThrow(/SegmentationMetricAggregator.add: volume.spacing is required when spacingMode is 'mm'/);
    const voxel = new SegmentationMetricAggregator({ numClasses: 4 });
    expect(voxel.add(pred, gt, { spacing: [10, 1, 1] }).unit).toBe('voxel');
    expect(voxel.aggregate().perClass.map((c) => c.name)).toEqual(['class 1', 'class 2', 'class 3']);
  });
});

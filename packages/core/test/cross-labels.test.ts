import ndarray from 'ndarray';
import { crossSupervisedLabels, downsampleLabels, zoomSourceIndices } from '../src/index.js';

/** [rows, 1, 2] label maps whose two pixels are (10·row + tag, 10·row + tag + 1). */
function maps(rows: number, tag: number): ndarray.NdArray<Int32Array> {
  return ndarray(
    Int32Array.from({ length: rows * 2 }, (_, i) => 10 * Math.floor(i / 2) + tag + (i % 2)),
    [rows, 1, 2],
  );
}

describe('crossSupervisedLabels', () => {
  // B = 3, B_l = 1, H = 1, W = 2. Ground truth tag 1, CNN pseudo labels tag 3, Transformer tag 5.
  // Row 0 is labeled: both views get GT (1, 2). Rows 1 and 2 are unlabeled:
  // view 0 (CNN features) gets the Transformer's map, view 1 (Transformer features) the CNN's.
  const expected = [
    [1, 2, 1, 2], // row 0: GT, GT
    [15, 16, 13, 14], // row 1: trans, cnn
    [25, 26, 23, 24], // row 2: trans, cnn
  ];

  test('whole-batch pseudo labels', () => {
    const out = crossSupervisedLabels(maps(3, 1), maps(3, 3), maps(3, 5), 1);
    expect(out.shape).toEqual([3, 2, 1, 2]);
    expect(Array.from(out.data)).toEqual(expected.flat());
  });

  test('pseudo labels of the unlabeled part only, as the reference slices them', () => {
    // unlabeled-only tensors: their row 0 is batch row 1, so shift the tags by one row (10)
    const cnn = ndarray(Int32Array.from(maps(3, 3).data.subarray(2)), [2, 1, 2]);
    const trans = ndarray(Int32Array.from(maps(3, 5).data.subarray(2)), [2, 1, 2]);
    expect(Array.from(crossSupervisedLabels(maps(3, 1), cnn, trans, 1).data)).toEqual(expected.flat());
  });

  test('all labeled and all unlabeled batches', () => {
    expect(Array.from(crossSupervisedLabels(maps(2, 1), maps(2, 3), maps(2, 5), 2).data)).toEqual([1, 2, 1, 2, 11, 12, 11, 12]);
    expect(Array.from(crossSupervisedLabels(maps(1, 1), maps(1, 3), maps(1, 5), 0).data)).toEqual([5, 6, 3, 4]);
  });

  test('rejects shapes that fit neither convention and numLabeled beyond B', () => {
    expect(() => crossSupervisedLabels(maps(3, 1), maps(1, 3), maps(3, 5), 1)).toThrow(
      /crossSupervisedLabels: pseudoCnn.shape must be \[3, 1, 2\] or \[2, 1, 2\], got \[1, 1, 2\]/,
    );
    expect(() => crossSupervisedLabels(maps(3, 1), maps(3, 3), maps(3, 5), 4)).toThrow(
      /numLabeled must be an integer in \[0, B = 3\], got 4/,
    );
  });
});

describe('downsampleLabels', () => {
  test('224 → 28 picks scipy zoom rows and columns of a [B, 2, 224, 224] tensor', () => {
    // value = 1000·y + x, so the output at (i, j) reveals the source pixel (idx[i], idx[j]).
    const [b, v, n] = [1, 2, 224];
    const data = new Int32Array(b * v * n * n);
    for (let view = 0; view < v; view++)
      for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) data[(view * n + y) * n + x] = 1000 * y + x + view;
    const out = downsampleLabels(ndarray(data, [b, v, n, n]));
    expect(out.shape).toEqual([1, 2, 28, 28]);
    const idx = zoomSourceIndices(224, 28); // 0 8 17 25 … 223, scale 223/27
    expect(idx[2]).toBe(17);
    for (const view of [0, 1]) {
      for (const [i, j] of [
        [0, 0],
        [2, 5],
        [27, 27],
        [13, 1],
      ] as const) {
        expect(out.get(0, view, i, j)).toBe(1000 * idx[i]! + idx[j]! + view);
      }
    }
  });

  test('explicit size and scale', () => {
    const labels = ndarray(
      Int32Array.from({ length: 25 }, (_, i) => i),
      [5, 5],
    );
    // 5 → 3: rows/cols 0 2 4
    expect(Array.from(downsampleLabels(labels, { size: [3, 3] }).data)).toEqual([0, 2, 4, 10, 12, 14, 20, 22, 24]);
    expect(downsampleLabels(labels, { scale: 0.5 }).shape).toEqual([2, 2]); // round(2.5) = 2
  });
});

import ndarray from 'ndarray';
import { crossEntropy, diceLoss, diceLossPerClass, Random, softmax } from '../../src/index.js';

/** [B, K, H, W] from nested per-pixel class vectors [b][y][x][k]. */
function bkhw(pixels: number[][][][]): ndarray.NdArray<Float64Array> {
  const [b, h, w, k] = [pixels.length, pixels[0]!.length, pixels[0]![0]!.length, pixels[0]![0]![0]!.length];
  const out = ndarray(new Float64Array(b * k * h * w), [b, k, h, w]);
  pixels.forEach((img, bi) => img.forEach((row, y) => row.forEach((vec, x) => vec.forEach((v, c) => out.set(bi, c, y, x, v)))));
  return out;
}

function labels(values: number[][][]): ndarray.NdArray<Int32Array> {
  return ndarray(Int32Array.from(values.flat(2)), [values.length, values[0]!.length, values[0]![0]!.length]);
}

describe('softmax', () => {
  test('over the class axis of [B, K, H, W], by hand', () => {
    // logits (0, ln 3) → (1/4, 3/4); (2, 2) → (1/2, 1/2)
    const p = softmax(
      bkhw([
        [
          [
            [0, Math.log(3)],
            [2, 2],
          ],
        ],
      ]),
    );
    expect(p.get(0, 0, 0, 0)).toBeCloseTo(0.25, 15);
    expect(p.get(0, 1, 0, 0)).toBeCloseTo(0.75, 15);
    expect(p.get(0, 0, 0, 1)).toBeCloseTo(0.5, 15);
  });

  test('is stable for large logits and works along any axis', () => {
    const p = softmax(ndarray(Float64Array.of(1000, 1001, -1000, -1001), [2, 2]), 1);
    expect(p.get(0, 1)).toBeCloseTo(1 / (1 + Math.exp(-1)), 14);
    expect(p.get(1, 0)).toBeCloseTo(1 / (1 + Math.exp(-1)), 14);
    expect(() => softmax(ndarray(new Float64Array(4), [2, 2]), 2)).toThrow(/softmax: axis must be an axis of shape \[2,2\], got 2/);
  });
});

describe('crossEntropy (torch CrossEntropyLoss, mean)', () => {
  test('two pixels, by hand', () => {
    // pixel 0: logits (0, 0), label 0 → −log ½ = ln 2
    // pixel 1: logits (ln 3, 0), label 1 → −log(1/(3 + 1)) = ln 4
    // mean = (ln 2 + ln 4)/2 = 1.5 ln 2
    const z = bkhw([
      [
        [
          [0, 0],
          [Math.log(3), 0],
        ],
      ],
    ]);
    expect(crossEntropy(z, labels([[[0, 1]]]))).toBeCloseTo(1.5 * Math.LN2, 14);
  });

  test('equals the mean of −log softmax over a random batch, and reads views', () => {
    const random = new Random(3);
    const [b, k, h, w] = [2, 4, 3, 5];
    const z = ndarray(
      Float64Array.from({ length: b * k * h * w }, () => 3 * random.normal()),
      [b, k, h, w],
    );
    const y = ndarray(
      Int32Array.from({ length: b * h * w }, () => random.int(k)),
      [b, h, w],
    );
    const p = softmax(z);
    let expected = 0;
    for (let bi = 0; bi < b; bi++)
      for (let yy = 0; yy < h; yy++) for (let x = 0; x < w; x++) expected -= Math.log(p.get(bi, y.get(bi, yy, x), yy, x));
    expected /= b * h * w;
    expect(crossEntropy(z, y)).toBeCloseTo(expected, 12);
    // the same data through a [B, K, W, H] buffer transposed back to [B, K, H, W]
    const zt = ndarray(new Float64Array(z.size), [b, k, w, h]);
    for (let bi = 0; bi < b; bi++)
      for (let c = 0; c < k; c++) for (let yy = 0; yy < h; yy++) for (let x = 0; x < w; x++) zt.set(bi, c, x, yy, z.get(bi, c, yy, x));
    expect(crossEntropy(zt.transpose(0, 1, 3, 2), y)).toBeCloseTo(expected, 12);
  });

  test('rejects labels out of range and mismatched shapes', () => {
    const z = bkhw([[[[0, 0]]]]);
    expect(() => crossEntropy(z, labels([[[2]]]))).toThrow(/crossEntropy: labels must hold integers in \[0, 2\)/);
    expect(() => crossEntropy(z, labels([[[0, 1]]]))).toThrow(/crossEntropy: labels.shape must equal/);
  });
});

describe('diceLoss (SSL4MIS form)', () => {
  test('two pixels, two classes, by hand', () => {
    // pixel 0: p = (0.8, 0.2), label 0; pixel 1: p = (0.4, 0.6), label 1.
    // class 0: Σpg = 0.8, Σp² = 0.64 + 0.16 = 0.8, Σg² = 1 → d0 = 1 − (1.6 + 1e-5)/(1.8 + 1e-5)
    // class 1: Σpg = 0.6, Σp² = 0.04 + 0.36 = 0.4, Σg² = 1 → d1 = 1 − (1.2 + 1e-5)/(1.4 + 1e-5)
    const p = bkhw([
      [
        [
          [0.8, 0.2],
          [0.4, 0.6],
        ],
      ],
    ]);
    const y = labels([[[0, 1]]]);
    const d0 = 1 - (1.6 + 1e-5) / (1.8 + 1e-5);
    const d1 = 1 - (1.2 + 1e-5) / (1.4 + 1e-5);
    expect(Array.from(diceLossPerClass(p, y, 2))).toEqual([expect.closeTo(d0, 14), expect.closeTo(d1, 14)]);
    expect(diceLoss(p, y, 2)).toBeCloseTo((d0 + d1) / 2, 14);
  });

  test('sums over the whole batch; an absent class contributes 0; a perfect one-hot gives 0', () => {
    // Three classes, class 2 never predicted nor labeled → d2 = 1 − 1e-5/1e-5 = 0.
    const onehot = bkhw([
      [
        [
          [1, 0, 0],
          [0, 1, 0],
        ],
      ],
      [
        [
          [0, 1, 0],
          [1, 0, 0],
        ],
      ],
    ]);
    const y = labels([[[0, 1]], [[1, 0]]]);
    expect(Array.from(diceLossPerClass(onehot, y, 3))).toEqual([0, 0, 0]);
    expect(diceLoss(onehot, y, 3)).toBe(0);
  });

  test('rejects numClasses different from K', () => {
    expect(() => diceLoss(bkhw([[[[0.5, 0.5]]]]), labels([[[0]]]), 3)).toThrow(/diceLoss: probs.shape\[1\] must equal numClasses 3, got 2/);
  });
});

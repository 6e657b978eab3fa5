import { Random, zoomNearest2D } from '@mcsc/core';
import { applyTransform, augmentSlice, fitToPatch, rot90, rotateNearest, type SlicePair } from '../../src/data/augment';

const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

describe('rot90 + flip match np.flip(np.rot90(a, k), axis)', () => {
  // a = np.arange(1, 13).reshape(3, 4)
  const CASES: [number, 0 | 1, [number, number], number[]][] = [
    [0, 0, [3, 4], [9, 10, 11, 12, 5, 6, 7, 8, 1, 2, 3, 4]],
    [0, 1, [3, 4], [4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9]],
    [1, 0, [4, 3], [1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12]],
    [1, 1, [4, 3], [12, 8, 4, 11, 7, 3, 10, 6, 2, 9, 5, 1]],
    [2, 0, [3, 4], [4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9]],
    [2, 1, [3, 4], [9, 10, 11, 12, 5, 6, 7, 8, 1, 2, 3, 4]],
    [3, 0, [4, 3], [12, 8, 4, 11, 7, 3, 10, 6, 2, 9, 5, 1]],
    [3, 1, [4, 3], [1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12]],
  ];
  test.each(CASES)('k=%i axis=%i', (k, axis, shape, expected) => {
    const slice: SlicePair = { height: 3, width: 4, image: Float32Array.from(range(12)), label: Uint8Array.from(range(12)) };
    const out = applyTransform(slice, { kind: 'rot90-flip', k, axis });
    expect([out.height, out.width]).toEqual(shape);
    expect(Array.from(out.image)).toEqual(expected);
    expect(Array.from(out.label)).toEqual(expected);
  });
  test('rot90 alone: np.rot90(a, 1)', () => {
    expect(Array.from(rot90(Uint8Array.from(range(6)), 2, 3, 1))).toEqual([3, 6, 2, 5, 1, 4]);
  });
});

describe('rotateNearest matches scipy.ndimage.rotate(a, angle, order=0, reshape=False)', () => {
  // Reference values from scipy 1.17.1 for np.arange(1, h·w + 1).reshape(h, w).
  type Case = [h: number, w: number, angle: number, expected: number[]];
  const in7x9 = (angle: number, expected: number[]): Case => [7, 9, angle, expected];
  const in8x6 = (angle: number, expected: number[]): Case => [8, 6, angle, expected];
  const CASES: Case[] = [
    in7x9(
      13,
      [
        0, 0, 0, 0, 6, 7, 17, 18, 0, 2, 3, 13, 13, 14, 15, 25, 26, 0, 10, 11, 21, 22, 23, 24, 25, 35, 0, 19, 20, 30, 31, 32, 33, 34, 44, 45,
        0, 29, 39, 40, 41, 42, 43, 53, 54, 0, 38, 39, 49, 50, 51, 51, 61, 62, 0, 46, 47, 57, 58, 0, 0, 0, 0,
      ],
    ),
    in7x9(
      -20,
      [
        0, 10, 11, 12, 4, 0, 0, 0, 0, 0, 19, 20, 12, 13, 14, 6, 7, 0, 0, 29, 30, 22, 23, 24, 16, 16, 17, 37, 38, 39, 31, 32, 33, 25, 26, 27,
        47, 48, 48, 40, 41, 42, 34, 35, 0, 0, 57, 58, 50, 51, 52, 44, 45, 0, 0, 0, 0, 0, 60, 52, 53, 54, 0,
      ],
    ),
    in7x9(
      7,
      [
        0, 0, 0, 0, 5, 6, 7, 8, 0, 10, 11, 12, 13, 14, 15, 16, 17, 0, 19, 20, 21, 22, 23, 24, 25, 26, 0, 28, 29, 30, 31, 32, 33, 34, 35, 36,
        0, 38, 39, 40, 41, 42, 43, 44, 45, 0, 47, 48, 49, 50, 51, 52, 53, 54, 0, 56, 57, 58, 59, 0, 0, 0, 0,
      ],
    ),
    in7x9(
      19,
      [
        0, 0, 0, 0, 6, 7, 17, 18, 0, 0, 3, 4, 14, 15, 16, 26, 26, 0, 11, 11, 12, 22, 23, 24, 34, 35, 0, 19, 20, 21, 31, 32, 33, 43, 44, 45,
        0, 29, 30, 40, 41, 42, 52, 53, 53, 0, 38, 38, 48, 49, 50, 60, 61, 0, 0, 46, 47, 57, 58, 0, 0, 0, 0,
      ],
    ),
    in7x9(
      -1,
      [
        0, 2, 3, 4, 5, 0, 0, 0, 0, 0, 11, 12, 13, 14, 15, 16, 17, 18, 0, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
        37, 38, 39, 40, 41, 42, 43, 44, 0, 46, 47, 48, 49, 50, 51, 52, 53, 0, 0, 0, 0, 0, 59, 60, 61, 62, 0,
      ],
    ),
    in8x6(
      -17,
      [
        0, 7, 2, 3, 0, 0, 0, 13, 8, 9, 10, 5, 0, 20, 15, 16, 16, 11, 0, 20, 21, 22, 23, 18, 31, 26, 27, 28, 29, 0, 38, 33, 33, 34, 29, 0,
        44, 39, 40, 41, 36, 0, 0, 0, 46, 47, 42, 0,
      ],
    ),
    in8x6(
      11,
      [
        0, 0, 0, 5, 6, 0, 8, 9, 9, 10, 11, 0, 13, 14, 15, 16, 17, 0, 19, 20, 21, 22, 23, 0, 0, 26, 27, 28, 29, 30, 0, 32, 33, 34, 35, 36, 0,
        38, 39, 40, 40, 41, 0, 43, 44, 0, 0, 0,
      ],
    ),
  ];
  test.each(CASES)('%i×%i by %i°', (h, w, angle, expected) => {
    const src = range(h * w);
    expect(Array.from(rotateNearest(Float32Array.from(src), h, w, angle))).toEqual(expected);
    expect(Array.from(rotateNearest(Uint8Array.from(src), h, w, angle))).toEqual(expected);
  });
  test('0° is the identity and 180° reverses', () => {
    const src = Float32Array.from(range(63));
    expect(Array.from(rotateNearest(src, 7, 9, 0))).toEqual(range(63));
    expect(Array.from(rotateNearest(src, 7, 9, 180))).toEqual(range(63).reverse());
  });
});

/** An image whose every pixel encodes its label (label·10 + 1, so 0 stays 0 outside a rotation). */
function coded(h: number, w: number, seed: number): SlicePair {
  const rng = new Random(seed);
  const label = Uint8Array.from({ length: h * w }, () => rng.int(4));
  return { height: h, width: w, label, image: Float32Array.from(label, (l) => (l === 0 ? 0 : l * 10 + 1)) };
}

describe('augmentSlice', () => {
  test('the same seed gives the same result', () => {
    const slice = coded(21, 17, 1);
    const run = (seed: number) => {
      const rng = new Random(seed);
      return Array.from({ length: 12 }, () => augmentSlice(slice, [24, 24], rng));
    };
    const a = run(7);
    const b = run(7);
    a.forEach((x, i) => {
      expect(x.transform).toEqual(b[i]!.transform);
      expect(Array.from(x.image)).toEqual(Array.from(b[i]!.image));
      expect(Array.from(x.label)).toEqual(Array.from(b[i]!.label));
    });
    expect(run(8).map((x) => x.transform)).not.toEqual(a.map((x) => x.transform));
  });

  test('image and label get the same geometry, and the patch size', () => {
    const slice = coded(21, 17, 2);
    const rng = new Random(3);
    const kinds = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const out = augmentSlice(slice, [32, 28], rng);
      kinds.add(out.transform.kind);
      expect([out.height, out.width]).toEqual([32, 28]);
      const broken = out.label.filter((l, p) => out.image[p] !== (l === 0 ? 0 : l * 10 + 1)).length;
      expect(broken).toBe(0);
      // Undo nothing: the result equals the explicit transform followed by the zoom.
      const expected = fitToPatch(applyTransform(slice, out.transform), [32, 28]);
      expect(Array.from(out.label)).toEqual(Array.from(expected.label));
    }
    expect([...kinds].sort()).toEqual(['none', 'rot90-flip', 'rotate']);
  });

  test('branch probabilities are ½ rot90+flip, ¼ rotation, ¼ nothing; angles are integers in [−20, 20)', () => {
    const slice = coded(8, 8, 3);
    const rng = new Random(11);
    const counts: Record<string, number> = { none: 0, 'rot90-flip': 0, rotate: 0 };
    const angles = new Set<number>();
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const { transform } = augmentSlice(slice, [8, 8], rng);
      counts[transform.kind]!++;
      if (transform.kind === 'rotate') angles.add(transform.angle);
    }
    expect(counts['rot90-flip']! / n).toBeCloseTo(0.5, 1);
    expect(counts.rotate! / n).toBeCloseTo(0.25, 1);
    expect(counts.none! / n).toBeCloseTo(0.25, 1);
    expect(Math.min(...angles)).toBe(-20);
    expect(Math.max(...angles)).toBe(19);
    expect([...angles].every(Number.isInteger)).toBe(true);
  });

  test('the zoom to the patch size is @mcsc/core zoomNearest2D', () => {
    const slice = coded(13, 11, 4);
    const out = fitToPatch(slice, [20, 16]);
    expect(Array.from(out.label)).toEqual(Array.from(zoomNearest2D(slice.label, 13, 11, 20, 16)));
    expect(fitToPatch(slice, [13, 11])).toBe(slice);
  });

  test('bad input is rejected with the values', () => {
    const rng = new Random(1);
    expect(() => augmentSlice({ height: 3, width: 3, image: new Float32Array(9), label: new Uint8Array(8) }, [4, 4], rng)).toThrow(
      'augmentSlice: image (9) and label (8) must both hold height × width = 9 values',
    );
    expect(() => fitToPatch(coded(4, 4, 1), [0, 4])).toThrow('fitToPatch: patch must be two positive integers [height, width], got [0, 4]');
  });
});

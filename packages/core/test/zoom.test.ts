import { nearestIndices } from '@mcsc/graph';
import { zoomNearest, zoomNearest2D, zoomOutputShape, zoomSourceIndices } from '../src/index.js';

function arange(n: number, start = 0): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i + start);
}

describe('zoomNearest (scipy.ndimage.zoom, order 0, grid_mode=False)', () => {
  // Expected arrays follow index = floor(k·(in−1)/(out−1) + 0.5):
  // 5 → 3: scale 2, coords 0 2 4.
  // 5 → 8: scale 4/7, coords 0 .571 1.143 1.714 2.286 2.857 3.429 4 → 0 1 1 2 2 3 3 4.
  // 3 → 5: scale 0.5, coords 0 .5 1 1.5 2 → halves round up: 0 1 1 2 2.
  // 4 → 1: out == 1 keeps scale 1, coordinate 0.
  // 1 → 5: scale 0/4 = 0, all coordinates 0.
  // 224 → 28: scale 223/27 = 8.259…, e.g. k=2: 16.52 → 17.
  const cases: Array<[string, number, number, number[]]> = [
    ['5 → 3', 5, 3, [0, 2, 4]],
    ['5 → 8', 5, 8, [0, 1, 1, 2, 2, 3, 3, 4]],
    ['3 → 5', 3, 5, [0, 1, 1, 2, 2]],
    ['4 → 1', 4, 1, [0]],
    ['1 → 5', 1, 5, [0, 0, 0, 0, 0]],
    ['5 → 5', 5, 5, [0, 1, 2, 3, 4]],
    [
      '224 → 28',
      224,
      28,
      [0, 8, 17, 25, 33, 41, 50, 58, 66, 74, 83, 91, 99, 107, 116, 124, 132, 140, 149, 157, 165, 173, 182, 190, 198, 206, 215, 223],
    ],
  ];

  test.each(cases)('arange %s', (_name, n, out, expected) => {
    const result = zoomNearest(arange(n), [n], [out]);
    expect(result).toBeInstanceOf(Int32Array);
    expect(Array.from(result)).toEqual(expected);
    expect(Array.from(zoomSourceIndices(n, out))).toEqual(expected);
  });

  test('2-D: rows and columns are zoomed independently', () => {
    // arange(12).reshape(3, 4) → (5, 2): rows 3→5 pick 0 1 1 2 2, columns 4→2 pick 0 3.
    const result = zoomNearest2D(Float32Array.from(arange(12)), 3, 4, 5, 2);
    expect(result).toBeInstanceOf(Float32Array);
    expect(Array.from(result)).toEqual([0, 3, 4, 7, 4, 7, 8, 11, 8, 11]);
  });

  test('3-D with an identity axis', () => {
    // shape (2, 1, 3) → (2, 1, 5): axis 0 and 1 are copied, axis 2 picks 0 1 1 2 2.
    const src = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    expect(Array.from(zoomNearest(src, [2, 1, 3], [2, 1, 5]))).toEqual([1, 2, 2, 3, 3, 4, 5, 5, 6, 6]);
  });

  test('scipy writes cval where k·scale rounds above in − 1 (232 → 224); clamp does not', () => {
    // 223 · (231/223) evaluates to 231.00000000000003 > 231, so scipy's constant mode treats the
    // last output sample as outside; scipy 1.17 gives zoom(arange(1, 233), 224/232, order=0)[-4:] ==
    // [229, 230, 231, 0].
    const src = arange(232, 1);
    const scipy = zoomNearest(src, [232], [224]);
    expect(Array.from(scipy.slice(-4))).toEqual([229, 230, 231, 0]);
    expect(zoomNearest(src, [232], [224], { cval: -7 })[223]).toBe(-7);
    const clamped = zoomNearest(src, [232], [224], { edge: 'clamp' });
    expect(Array.from(clamped.slice(-4))).toEqual([229, 230, 231, 232]);
  });

  test("reads @mcsc/graph's nearestIndices, the project's one nearest-neighbour rule", () => {
    for (const [n, out] of [
      [224, 28],
      [232, 224],
      [224, 216],
      [768, 96],
      [40, 32],
      [32, 40],
      [1, 3],
      [3, 1],
    ] as const) {
      for (const edge of ['scipy', 'clamp'] as const) {
        expect(Array.from(zoomSourceIndices(n, out, edge))).toEqual(Array.from(nearestIndices(n, out, edge)));
        const expected = Array.from(nearestIndices(n, out, edge), (i) => (i < 0 ? 0 : i + 1));
        expect(Array.from(zoomNearest(arange(n, 1), [n], [out], { edge }))).toEqual(expected);
      }
    }
  });

  test('rejects mismatched shapes and bad options', () => {
    expect(() => zoomNearest(arange(5), [4], [3])).toThrow(/zoomNearest: src.length must equal/);
    expect(() => zoomNearest(arange(6), [2, 3], [3])).toThrow(/outShape must have the rank/);
    expect(() => zoomNearest(arange(5), [5], [3], { edge: 'wrap' as never })).toThrow(/zoomNearest: invalid options: options.edge/);
  });
});

describe('zoomOutputShape', () => {
  test.each<[number[], number | number[], number[]]>([
    [[224, 224], 28 / 224, [28, 28]],
    [
      [256, 216],
      [224 / 256, 224 / 216],
      [224, 224],
    ],
    [[5], 0.5, [2]], // 2.5 rounds half to even
    [[7], 0.5, [4]], // 3.5 → 4
    [
      [2, 2, 224, 224],
      [1, 1, 0.125, 0.125],
      [2, 2, 28, 28],
    ],
  ])('%j × %j → %j', (shape, factors, expected) => {
    expect(zoomOutputShape(shape, factors)).toEqual(expected);
  });
});

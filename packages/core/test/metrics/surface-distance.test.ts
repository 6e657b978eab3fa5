import ndarray from 'ndarray';
import { asd, dice, distanceTransformEdt, hd95, jaccard, percentile, Random, surfaceDistances } from '../../src/index.js';

type Mask = ndarray.NdArray<Uint8Array>;

function maskFrom(shape: number[], inside: (...coords: number[]) => boolean): Mask {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = ndarray(new Uint8Array(size), shape);
  const coords = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < size; i++) {
    out.data[i] = inside(...coords) ? 1 : 0;
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++coords[a]! < shape[a]!) break;
      coords[a] = 0;
    }
  }
  return out;
}

function coordsOf(flat: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    out[a] = flat % shape[a]!;
    flat = Math.floor(flat / shape[a]!);
  }
  return out;
}

/** Surface voxels by the definition, independently of the library: foreground with a 0 or outside axis neighbour. */
function bruteSurface(mask: Mask): number[][] {
  const shape = mask.shape;
  const points: number[][] = [];
  for (let i = 0; i < mask.size; i++) {
    if (!mask.data[i]) continue;
    const c = coordsOf(i, shape);
    const onSurface = shape.some((n, a) =>
      [-1, 1].some((d) => {
        const nb = c.slice();
        nb[a]! += d;
        return nb[a]! < 0 || nb[a]! >= n || mask.get(...nb) === 0;
      }),
    );
    if (onSurface) points.push(c);
  }
  return points;
}

/** O(n²) directed surface distances: from each surface point of `a`, the nearest surface point of `b`. */
function bruteDirected(a: Mask, b: Mask, spacing: number[]): number[] {
  const sb = bruteSurface(b);
  return bruteSurface(a).map((p) => Math.min(...sb.map((q) => Math.hypot(...p.map((v, k) => (v - q[k]!) * spacing[k]!)))));
}

function randomBlob(random: Random, shape: number[]): Mask {
  // a union of a few random ellipsoids, so that masks have holes, corners and border contact
  const blobs = Array.from({ length: 3 }, () => ({
    c: shape.map((n) => random.uniform() * n),
    r: shape.map((n) => 1 + random.uniform() * n * 0.4),
  }));
  return maskFrom(shape, (...x) => blobs.some(({ c, r }) => x.reduce((acc, v, k) => acc + ((v - c[k]!) / r[k]!) ** 2, 0) <= 1));
}

describe('surface distances against an O(n²) brute force', () => {
  const cases: Array<[string, number, number[], number[]]> = [
    ['2-D isotropic', 11, [14, 17], [1, 1]],
    ['2-D anisotropic', 12, [15, 13], [1.5, 0.7]],
    ['3-D anisotropic', 13, [6, 12, 11], [2.5, 0.8, 1.1]],
    ['3-D one slice thick', 14, [1, 9, 10], [3, 1, 1]],
  ];

  test.each(cases)('%s (seed %i)', (_name, seed, shape, spacing) => {
    const random = new Random(seed);
    const pred = randomBlob(random, shape);
    const gt = randomBlob(random, shape);
    const forward = bruteDirected(pred, gt, spacing);
    const backward = bruteDirected(gt, pred, spacing);
    const sd = Array.from(surfaceDistances(pred, gt, spacing));
    expect(sd).toHaveLength(forward.length);
    sd.forEach((d, i) => expect(d).toBeCloseTo(forward[i]!, 10));
    expect(hd95(pred, gt, spacing)).toBeCloseTo(percentile([...forward, ...backward], 95), 10);
    expect(asd(pred, gt, spacing)).toBeCloseTo(forward.reduce((a, v) => a + v, 0) / forward.length, 10);
  });
});

describe('medpy values (computed with scipy 1.17: binary_erosion, distance_transform_edt, numpy.percentile)', () => {
  // 3-D: shape (5, 12, 10), pred ((z−2)/2)² + ((y−5.5)/4)² + ((x−4.5)/3.5)² ≤ 1,
  //      gt ((z−2.5)/2.6)² + ((y−7)/4.2)² + ((x−6.2)/2.6)² ≤ 1.
  const sq = (v: number): number => v * v;
  const pred3 = maskFrom([5, 12, 10], (z, y, x) => sq((z! - 2) / 2) + sq((y! - 5.5) / 4) + sq((x! - 4.5) / 3.5) <= 1);
  const gt3 = maskFrom([5, 12, 10], (z, y, x) => sq((z! - 2.5) / 2.6) + sq((y! - 7) / 4.2) + sq((x! - 6.2) / 2.6) <= 1);
  // 2-D: shape (9, 11), pred = rows 1–5 × cols 2–8 plus the corner pixel (8, 10); gt (y−5)²/9 + (x−6.5)²/16 ≤ 1.
  const pred2 = maskFrom([9, 11], (y, x) => (y! >= 1 && y! <= 5 && x! >= 2 && x! <= 8) || (y === 8 && x === 10));
  const gt2 = maskFrom([9, 11], (y, x) => sq(y! - 5) / 9 + sq(x! - 6.5) / 16 <= 1);

  test.each<[string, Mask, Mask, number[] | undefined, number, number, number, number]>([
    ['3-D voxel', pred3, gt3, undefined, 0.497737556561086, 0.3313253012048193, 2.23606797749979, 1.1000039673101532],
    [
      '3-D spacing (2.5, 0.8, 1.1)',
      pred3,
      gt3,
      [2.5, 0.8, 1.1],
      0.497737556561086,
      0.3313253012048193,
      2.737037548619631,
      1.2408136018008726,
    ],
    ['2-D voxel', pred2, gt2, undefined, 0.4722222222222222, 0.3090909090909091, 2.23606797749979, 1.5775709621186647],
    ['2-D spacing (1.5, 0.7)', pred2, gt2, [1.5, 0.7], 0.4722222222222222, 0.3090909090909091, 3.0080584360149873, 1.833252210485345],
  ])('%s', (_name, pred, gt, spacing, d, j, h, a) => {
    expect(dice(pred, gt)).toBeCloseTo(d, 14);
    expect(jaccard(pred, gt)).toBeCloseTo(j, 14);
    expect(hd95(pred, gt, spacing)).toBeCloseTo(h, 12);
    expect(asd(pred, gt, spacing)).toBeCloseTo(a, 12);
  });
});

describe('hand-worked cases and empty masks', () => {
  test('two single pixels: every pixel is surface, distance by spacing', () => {
    // pred (0, 0), gt (3, 4) in a 5×5 image: distance √((3·2)² + (4·0.5)²) = √40 with spacing (2, 0.5)
    const pred = maskFrom([5, 5], (y, x) => y === 0 && x === 0);
    const gt = maskFrom([5, 5], (y, x) => y === 3 && x === 4);
    expect(hd95(pred, gt)).toBeCloseTo(5, 14);
    expect(asd(pred, gt)).toBeCloseTo(5, 14);
    expect(hd95(pred, gt, [2, 0.5])).toBeCloseTo(Math.sqrt(40), 14);
    expect(dice(pred, gt)).toBe(0);
  });

  test('a 3×3 square against itself shifted by one column', () => {
    // surfaces: the 8 ring pixels of each square (the centre is interior). Shifting by one column,
    // each ring pixel of pred is at distance 0 or 1 from gt's ring: the left column (3 pixels) is 1 away,
    // the centre-right pixel (2, 3) is 1 away from gt's ring (its neighbours (1,3),(3,3) are on it: 1),
    // the rest 0 → d(P→G) = [1, 0, 0, 1, 1, 1, 0, 0] in row-major order: mean 4/8.
    const pred = maskFrom([5, 6], (y, x) => y! >= 1 && y! <= 3 && x! >= 1 && x! <= 3);
    const gt = maskFrom([5, 6], (y, x) => y! >= 1 && y! <= 3 && x! >= 2 && x! <= 4);
    expect(Array.from(surfaceDistances(pred, gt))).toEqual([1, 0, 0, 1, 1, 1, 0, 0]);
    expect(asd(pred, gt)).toBe(0.5);
    expect(dice(pred, gt)).toBeCloseTo(12 / 18, 14);
    expect(jaccard(pred, gt)).toBeCloseTo(6 / 12, 14);
  });

  test('empty masks: overlap 0, distances NaN', () => {
    const empty = maskFrom([4, 4], () => false);
    const some = maskFrom([4, 4], (y, x) => y === 1 && x === 2);
    expect(dice(empty, empty)).toBe(0);
    expect(jaccard(empty, empty)).toBe(0);
    expect(dice(empty, some)).toBe(0);
    expect(hd95(empty, some)).toBeNaN();
    expect(asd(some, empty)).toBeNaN();
    expect(surfaceDistances(empty, some)).toHaveLength(0);
  });

  test('rejects mismatched shapes and bad spacing', () => {
    const a = maskFrom([4, 4], () => true);
    expect(() =>
      hd95(
        a,
        maskFrom([4, 5], () => true),
      ),
    ).toThrow(/hd95: gt.shape must equal pred.shape \[4,4\], got \[4, 5\]/);
    expect(() => asd(a, a, [1, 0])).toThrow(/asd: spacing must hold finite positive numbers/);
    expect(() => asd(a, a, [1, 1, 1])).toThrow(/asd: spacing must have one value per axis \(2\)/);
  });
});

describe('distanceTransformEdt', () => {
  test.each<[number, number[], number[]]>([
    [21, [13, 9], [1, 1]],
    [22, [10, 12], [0.6, 1.7]],
    [23, [5, 7, 6], [3, 1, 0.5]],
  ])('equals the brute-force distance to the nearest zero (seed %i, shape %j, spacing %j)', (seed, shape, spacing) => {
    const random = new Random(seed);
    const input = maskFrom(shape, () => random.uniform() < 0.85);
    const zeros: number[][] = [];
    for (let i = 0; i < input.size; i++) if (!input.data[i]) zeros.push(coordsOf(i, shape));
    const dt = distanceTransformEdt(input, spacing);
    for (let i = 0; i < input.size; i++) {
      const c = coordsOf(i, shape);
      const expected = Math.min(...zeros.map((q) => Math.hypot(...c.map((v, k) => (v - q[k]!) * spacing[k]!))));
      expect(dt.data[i]).toBeCloseTo(expected, 10);
    }
  });

  test('no zero element: Infinity everywhere', () => {
    expect(Array.from(distanceTransformEdt(maskFrom([2, 3], () => true)).data)).toEqual(new Array(6).fill(Infinity));
  });
});

describe('percentile (numpy linear)', () => {
  test.each<[number[], number, number]>([
    // numpy.percentile values; h = (n − 1)·q/100
    [[1, 2, 3, 4], 95, 3.8499999999999996], // h = 2.85: 4 − 1·0.15
    [[1, 2, 3, 4], 50, 2.5],
    [[0.5, 3, 1, 10, 7, 2.25, 8], 95, 9.399999999999999],
    [[0.5, 3, 1, 10, 7, 2.25, 8], 50, 3],
    [[0.5, 3, 1, 10, 7, 2.25, 8], 37.5, 2.4375],
    [[7], 95, 7],
  ])('%j at %f → %f', (values, q, expected) => {
    expect(percentile(values, q)).toBe(expected);
  });

  test('empty input is NaN; q outside [0, 100] throws', () => {
    expect(percentile([], 95)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(/percentile: q must lie in \[0, 100\], got 101/);
  });
});

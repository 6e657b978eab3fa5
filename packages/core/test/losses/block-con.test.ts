import ndarray from 'ndarray';
import {
  blockConLoss,
  blockGroupIndices,
  blocksPerSide,
  drawBlockPermutations,
  Random,
  supConLoss,
  type BlockCoverage,
  type BlockLabelOrder,
} from '../../src/index.js';

type Nd = ndarray.NdArray<Float64Array>;

/**
 * A step-by-step port of the published PyTorch BlockConLoss on plain arrays (the oracle):
 * cat(unbind(dim=1)) stacks the views, blocks are cut in (i, j) order, each stacked image's block list is
 * indexed by its permutation, and group k's features are flattened (image, row, column) while its labels
 * are flattened (image, row, column) for 'paper' or (row, image, column) for 'reference'
 * (`torch.cat(torch.unbind(labels, dim=1), dim=0)` on [2B, b, b]).
 */
function referenceBlockCon(
  features: Nd,
  labels: Nd,
  b: number,
  perms: Int32Array[],
  order: BlockLabelOrder,
  coverage: BlockCoverage,
  tau: number,
): number {
  const [batch, views, channels, , width] = features.shape as [number, number, number, number, number];
  const images = batch * views;
  const stackF = (n: number, c: number, y: number, x: number): number => features.get(n % batch, Math.floor(n / batch), c, y, x);
  const stackL = (n: number, y: number, x: number): number => labels.get(n % batch, Math.floor(n / batch), y, x);
  const div = Math.floor(width / b) - (coverage === 'reference' ? 1 : 0);
  const blocks: Array<[number, number]> = [];
  for (let i = 0; i < div; i++) for (let j = 0; j < div; j++) blocks.push([i, j]);
  const losses: number[] = [];
  for (let k = 0; k < blocks.length; k++) {
    const rows: number[][] = [];
    const labelsImageRowCol: number[] = [];
    const labelsRowImageCol: number[] = [];
    for (let n = 0; n < images; n++) {
      const [i, j] = blocks[perms[n]![k]!]!;
      for (let r = 0; r < b; r++) {
        for (let c = 0; c < b; c++) {
          rows.push(Array.from({ length: channels }, (_, ch) => stackF(n, ch, i * b + r, j * b + c)));
          labelsImageRowCol.push(stackL(n, i * b + r, j * b + c));
        }
      }
    }
    for (let r = 0; r < b; r++) {
      for (let n = 0; n < images; n++) {
        const [i, j] = blocks[perms[n]![k]!]!;
        for (let c = 0; c < b; c++) labelsRowImageCol.push(stackL(n, i * b + r, j * b + c));
      }
    }
    const y = order === 'paper' ? labelsImageRowCol : labelsRowImageCol;
    if (y.reduce((a, v) => a + v, 0) === 0) continue;
    const f = ndarray(Float64Array.from(rows.flat()), [rows.length, channels]);
    losses.push(supConLoss(f, y, { temperature: tau, numClasses: 3 }));
  }
  return losses.length === 0 ? 0 : losses.reduce((a, v) => a + v, 0) / losses.length;
}

/** Unit features [B, V, C, H, W] and labels [B, V, H, W] in {0, 1, 2}, with a background-only band on top. */
function makeBatch(seed: number, batch: number, views: number, channels: number, size: number): { features: Nd; labels: Nd } {
  const random = new Random(seed);
  const features = ndarray(new Float64Array(batch * views * channels * size * size), [batch, views, channels, size, size]);
  const labels = ndarray(new Float64Array(batch * views * size * size), [batch, views, size, size]);
  for (let b = 0; b < batch; b++) {
    for (let v = 0; v < views; v++) {
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const vec = Array.from({ length: channels }, () => random.normal());
          const norm = Math.hypot(...vec);
          vec.forEach((val, c) => features.set(b, v, c, y, x, val / norm));
          labels.set(b, v, y, x, y < 3 ? 0 : random.int(3));
        }
      }
    }
  }
  return { features, labels };
}

describe('blocksPerSide', () => {
  test.each<[number, number, BlockCoverage, number]>([
    [224, 19, 'reference', 10], // 10×10 blocks cover 190×190
    [224, 19, 'full', 11],
    [28, 14, 'reference', 1], // a single top-left block (the reference comment expected 4)
    [28, 14, 'full', 2],
    [10, 19, 'reference', 0],
    [10, 19, 'full', 0],
  ])('size %i, b %i, %s → %i', (size, b, coverage, expected) => {
    expect(blocksPerSide(size, b, coverage)).toBe(expected);
  });
});

describe('blockGroupIndices', () => {
  // Two 4×4 images, b = 2, 'full' → 2×2 blocks numbered 0 1 / 2 3. Image 0 keeps its order, image 1 is
  // reversed, so group 0 = block 0 of image 0 (flat 0 1 4 5) + block 3 of image 1 (16 + 10, 11, 14, 15).
  const layout = {
    images: 2,
    height: 4,
    width: 4,
    blockSize: 2,
    blockCoverage: 'full' as const,
    permutations: [Int32Array.of(0, 1, 2, 3), Int32Array.of(3, 2, 1, 0)],
  };

  test('paper order: each point under its own label', () => {
    const groups = blockGroupIndices(layout);
    expect(groups).toHaveLength(4);
    expect(Array.from(groups[0]!.points)).toEqual([0, 1, 4, 5, 26, 27, 30, 31]);
    expect(Array.from(groups[0]!.labels)).toEqual([0, 1, 4, 5, 26, 27, 30, 31]);
    // group 2: image 0 block 2 (rows 2–3, cols 0–1: 8 9 12 13), image 1 block 1 (rows 0–1, cols 2–3: 16 + 2 3 6 7)
    expect(Array.from(groups[2]!.points)).toEqual([8, 9, 12, 13, 18, 19, 22, 23]);
  });

  test('reference order: labels read in (row, image, column) order', () => {
    // position p of the (row, image, column) flattening with 2 images of 2×2:
    // p 0 1 → row 0 of image 0 (0, 1); p 2 3 → row 0 of image 1 (26, 27);
    // p 4 5 → row 1 of image 0 (4, 5); p 6 7 → row 1 of image 1 (30, 31).
    const groups = blockGroupIndices({ ...layout, labelOrder: 'reference' });
    expect(Array.from(groups[0]!.points)).toEqual([0, 1, 4, 5, 26, 27, 30, 31]);
    expect(Array.from(groups[0]!.labels)).toEqual([0, 1, 26, 27, 4, 5, 30, 31]);
  });

  test('the two orders coincide for one image per group and for b = 1', () => {
    const one = { images: 1, height: 6, width: 6, blockSize: 3, blockCoverage: 'full' as const, permutations: [Int32Array.of(2, 0, 3, 1)] };
    const paper = blockGroupIndices(one);
    const reference = blockGroupIndices({ ...one, labelOrder: 'reference' });
    paper.forEach((g, k) => expect(Array.from(reference[k]!.labels)).toEqual(Array.from(g.labels)));
    const unit = {
      images: 3,
      height: 2,
      width: 2,
      blockSize: 1,
      blockCoverage: 'full' as const,
      permutations: [Int32Array.of(0, 1, 2, 3), Int32Array.of(1, 2, 3, 0), Int32Array.of(3, 1, 0, 2)],
    };
    const a = blockGroupIndices(unit);
    const r = blockGroupIndices({ ...unit, labelOrder: 'reference' });
    a.forEach((g, k) => expect(Array.from(r[k]!.labels)).toEqual(Array.from(g.labels)));
  });

  test('rejects permutations of the wrong count, length or content', () => {
    expect(() => blockGroupIndices({ ...layout, permutations: [Int32Array.of(0, 1, 2, 3)] })).toThrow(
      /blockGroupIndices: permutations.length must equal the number of stacked images 2, got 1/,
    );
    expect(() => blockGroupIndices({ ...layout, permutations: [Int32Array.of(0, 1, 2), Int32Array.of(0, 1, 2, 3)] })).toThrow(
      /permutations\[0\].length/,
    );
    expect(() => blockGroupIndices({ ...layout, permutations: [Int32Array.of(0, 1, 1, 3), Int32Array.of(0, 1, 2, 3)] })).toThrow(
      /permutations\[0\] must be a permutation of 0…3/,
    );
  });
});

describe('blockConLoss', () => {
  const size = 9;
  const b = 3;
  const cases: Array<[BlockLabelOrder, BlockCoverage]> = [
    ['paper', 'reference'],
    ['paper', 'full'],
    ['reference', 'reference'],
    ['reference', 'full'],
  ];

  test.each(cases)('matches the reference port (labelOrder %s, coverage %s)', (labelOrder, blockCoverage) => {
    const { features, labels } = makeBatch(1, 2, 2, 3, size);
    const blocks = blocksPerSide(size, b, blockCoverage) ** 2;
    const permutations = drawBlockPermutations(4, blocks, new Random(5));
    const loss = blockConLoss(features, labels, { blockSize: b, permutations, labelOrder, blockCoverage, numClasses: 3 });
    expect(loss).toBeGreaterThan(0);
    expect(loss).toBeCloseTo(referenceBlockCon(features, labels, b, permutations, labelOrder, blockCoverage, 0.1), 10);
  });

  test('the label orders differ with several images per group and agree with one', () => {
    const many = makeBatch(2, 2, 2, 3, size);
    const permutations = drawBlockPermutations(4, 9, new Random(6));
    const opts = { blockSize: b, permutations, blockCoverage: 'full' as const, numClasses: 3 };
    const paper = blockConLoss(many.features, many.labels, opts);
    const reference = blockConLoss(many.features, many.labels, { ...opts, labelOrder: 'reference' });
    expect(Math.abs(paper - reference)).toBeGreaterThan(1e-3);

    const one = makeBatch(3, 1, 1, 3, size);
    const single = drawBlockPermutations(1, 9, new Random(7));
    const onePaper = blockConLoss(one.features, one.labels, { ...opts, permutations: single });
    expect(blockConLoss(one.features, one.labels, { ...opts, permutations: single, labelOrder: 'reference' })).toBe(onePaper);
  });

  test("'reference' coverage ignores the last band of blocks, 'full' does not", () => {
    // Foreground only in rows and columns 6–8: outside the 2×2 blocks (6×6 pixels) of 'reference'.
    const { features, labels } = makeBatch(4, 1, 2, 3, size);
    for (let v = 0; v < 2; v++)
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) labels.set(0, v, y, x, y >= 6 && x >= 6 ? 1 + ((x + y) % 2) : 0);
    const random = new Random(8);
    expect(blockConLoss(features, labels, { blockSize: b, random, blockCoverage: 'reference' })).toBe(0);
    expect(blockConLoss(features, labels, { blockSize: b, random, blockCoverage: 'full' })).toBeGreaterThan(0);
  });

  test('all background, or no block at all, gives 0', () => {
    const { features, labels } = makeBatch(5, 1, 2, 3, size);
    const background = ndarray(new Float64Array(labels.size), labels.shape.slice());
    expect(blockConLoss(features, background, { blockSize: b, random: new Random(1) })).toBe(0);
    expect(blockConLoss(features, labels, { blockSize: 5, random: new Random(1) })).toBe(0); // ⌊9/5⌋ − 1 = 0 blocks
  });

  test('permutations drawn from a seeded Random are reproducible and equal to drawBlockPermutations', () => {
    const { features, labels } = makeBatch(6, 2, 2, 3, size);
    const a = blockConLoss(features, labels, { blockSize: b, random: new Random(42) });
    const again = blockConLoss(features, labels, { blockSize: b, random: new Random(42) });
    const explicit = blockConLoss(features, labels, { blockSize: b, permutations: drawBlockPermutations(4, 4, new Random(42)) });
    expect(again).toBe(a);
    expect(explicit).toBe(a);
  });

  test('rejects missing randomness and mismatched labels', () => {
    const { features, labels } = makeBatch(7, 1, 2, 3, size);
    expect(() => blockConLoss(features, labels, { blockSize: b })).toThrow(
      /blockConLoss: options.permutations or options.random must be given/,
    );
    expect(() => blockConLoss(features, labels.pick(0), { blockSize: b, random: new Random(1) })).toThrow(
      /blockConLoss: labels.shape must equal/,
    );
    expect(() => blockConLoss(features, labels, { blockSize: 0, random: new Random(1) })).toThrow(
      /blockConLoss: invalid options: options.blockSize/,
    );
  });
});

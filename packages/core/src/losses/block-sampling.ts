/**
 * Block sampling of BlockConLoss (docs/method/losses.md#block-sampling): which pixels of which images form each
 * contrastive group, in which order, and under which labels. Kept apart from the loss so a graph
 * implementation can gather exactly the same points in exactly the same order.
 *
 * Layout. The V = 2 views of B slices are stacked along the batch, view 0 first: stacked image
 * n = v·B + b (all B images of view 0, then all of view 1). Pixel (y, x) of stacked image n has the flat
 * index n·H·W + y·W + x in the stacked `[B·V, H, W]` grid; features are gathered at the same index from a
 * stacked `[B·V, H, W, C]` view and labels from the stacked `[B·V, H, W]` labels.
 *
 * Blocks. With block size b, G_h = ⌊H/b⌋ − 1 and G_w = ⌊W/b⌋ − 1 blocks per side (`'reference'`, the
 * published code: at 224 with b = 19, 10×10 blocks covering 190×190 pixels; at 28 with b = 14 a single
 * block) or ⌊H/b⌋, ⌊W/b⌋ (`'full'`, every whole block). Block (i, j) is the b×b tile starting at
 * (i·b, j·b); blocks are numbered row-major, i·G_w + j. (The reference derives G from the width alone;
 * for its square inputs the two agree.)
 *
 * Groups. Image n has its own permutation π_n of its G_h·G_w blocks: its k-th block after shuffling is
 * block π_n[k] (the reference's `features_list[i][shuffle]`). Group k holds the k-th block of every
 * image: B·V·b² points, ordered (image, row, column).
 *
 * Label order. `'paper'` compares each point under its own label. `'reference'` reproduces the published
 * PyTorch loss, which flattens a group's features in (image, row, column) order but its labels in
 * (row, image, column) order (`torch.cat(torch.unbind(labels, dim=1), dim=0)` on `[B·V, b, b]`), so point
 * p = (n·b + r)·b + c is compared under the label found at position p of the (row, image, column)
 * flattening: row ⌊p/(B·V·b)⌋, image ⌊(p mod B·V·b)/b⌋, column p mod b. With one image per group
 * (B·V = 1), or b = 1, the two orders coincide. The reproduction aid is never the default.
 */
import { z } from 'zod';
import { parseOptions, invalidValue } from '../internal/errors.js';
import type { Random } from '../random.js';

/** `'reference'`: G = ⌊size/b⌋ − 1 blocks per side (published); `'full'`: G = ⌊size/b⌋. */
export type BlockCoverage = 'reference' | 'full';
/** `'paper'`: each point under its own label; `'reference'`: the published (row, image, column) label order. */
export type BlockLabelOrder = 'paper' | 'reference';

export interface BlockLayout {
  /** Stacked images B·V. */
  images: number;
  height: number;
  width: number;
  /** b, the block side in pixels (19 at 224×224, 14 at 28×28 in MCSC). */
  blockSize: number;
  /** Default `'reference'`. */
  blockCoverage?: BlockCoverage;
  /** Default `'paper'`. */
  labelOrder?: BlockLabelOrder;
  /** One permutation of the G_h·G_w block indices per stacked image. */
  permutations: ReadonlyArray<ArrayLike<number>>;
}

/** One contrastive group: the k-th permuted block of every stacked image. */
export interface BlockGroup {
  /** k. */
  readonly group: number;
  /** Flat indices n·H·W + y·W + x of the B·V·b² points, ordered (image, row, column). */
  readonly points: Int32Array;
  /** For each point, the flat index of the label it is compared under (equal to `points` for `'paper'`). */
  readonly labels: Int32Array;
}

const positiveInt = z.number().int().positive();

const layoutSchema = z.strictObject({
  images: positiveInt,
  height: positiveInt,
  width: positiveInt,
  blockSize: positiveInt,
  blockCoverage: z.enum(['reference', 'full']).optional(),
  labelOrder: z.enum(['paper', 'reference']).optional(),
  permutations: z.array(
    z.custom<ArrayLike<number>>((v) => Array.isArray(v) || ArrayBuffer.isView(v), 'expected an Int32Array or number[]'),
  ),
});

/** Blocks per side: ⌊size/b⌋ − 1 (`'reference'`) or ⌊size/b⌋ (`'full'`), never below 0. */
export function blocksPerSide(size: number, blockSize: number, coverage: BlockCoverage = 'reference'): number {
  const fn = 'blocksPerSide';
  if (!Number.isInteger(size) || size < 0) throw invalidValue(fn, 'size', 'must be a non-negative integer', size);
  if (!Number.isInteger(blockSize) || blockSize < 1) throw invalidValue(fn, 'blockSize', 'must be a positive integer', blockSize);
  if (coverage !== 'reference' && coverage !== 'full') throw invalidValue(fn, 'coverage', "must be 'reference' or 'full'", coverage);
  const whole = Math.floor(size / blockSize);
  return Math.max(0, coverage === 'reference' ? whole - 1 : whole);
}

/** Draws one permutation of `blockCount` blocks per stacked image, image 0 first, from `random`. */
export function drawBlockPermutations(images: number, blockCount: number, random: Random): Int32Array[] {
  const fn = 'drawBlockPermutations';
  if (!Number.isInteger(images) || images < 0) throw invalidValue(fn, 'images', 'must be a non-negative integer', images);
  if (!Number.isInteger(blockCount) || blockCount < 0) throw invalidValue(fn, 'blockCount', 'must be a non-negative integer', blockCount);
  if (random === null || typeof random !== 'object' || typeof random.permutation !== 'function') {
    throw invalidValue(fn, 'random', 'must be a Random', random);
  }
  return Array.from({ length: images }, () => random.permutation(blockCount));
}

/**
 * The points and label positions of every group, in group order k = 0 … G_h·G_w − 1.
 * See the module comment for the layout, the block numbering and the two label orders.
 */
export function blockGroupIndices(layout: BlockLayout): BlockGroup[] {
  const fn = 'blockGroupIndices';
  const opts = parseOptions(fn, layoutSchema, layout);
  const { images, height, width, blockSize: b, permutations } = opts;
  const coverage = opts.blockCoverage ?? 'reference';
  const labelOrder = opts.labelOrder ?? 'paper';
  const gh = blocksPerSide(height, b, coverage);
  const gw = blocksPerSide(width, b, coverage);
  const blockCount = gh * gw;
  checkPermutations(fn, permutations, images, blockCount);

  const plane = height * width;
  const perGroup = images * b * b;
  const groups: BlockGroup[] = [];
  for (let k = 0; k < blockCount; k++) {
    // flat index of pixel (r, c) of image n's k-th permuted block
    const pixel = (n: number, r: number, c: number): number => {
      const block = permutations[n]![k]!;
      const y = Math.floor(block / gw) * b + r;
      const x = (block % gw) * b + c;
      return n * plane + y * width + x;
    };
    const points = new Int32Array(perGroup);
    const labels = new Int32Array(perGroup);
    let p = 0;
    for (let n = 0; n < images; n++) {
      for (let r = 0; r < b; r++) {
        for (let c = 0; c < b; c++, p++) {
          points[p] = pixel(n, r, c);
          if (labelOrder === 'paper') {
            labels[p] = points[p]!;
          } else {
            // position p of the (row, image, column) flattening
            const row = Math.floor(p / (images * b));
            const image = Math.floor((p % (images * b)) / b);
            labels[p] = pixel(image, row, p % b);
          }
        }
      }
    }
    groups.push({ group: k, points, labels });
  }
  return groups;
}

function checkPermutations(fn: string, permutations: ReadonlyArray<ArrayLike<number>>, images: number, blockCount: number): void {
  if (permutations.length !== images) {
    throw invalidValue(fn, 'permutations.length', `must equal the number of stacked images ${images}`, permutations.length);
  }
  const seen = new Uint8Array(blockCount);
  permutations.forEach((perm, n) => {
    if (perm.length !== blockCount) {
      throw invalidValue(fn, `permutations[${n}].length`, `must equal the number of blocks G_h·G_w = ${blockCount}`, perm.length);
    }
    seen.fill(0);
    for (let k = 0; k < blockCount; k++) {
      const v = perm[k]!;
      if (!Number.isInteger(v) || v < 0 || v >= blockCount || seen[v]) {
        throw invalidValue(fn, `permutations[${n}]`, `must be a permutation of 0…${blockCount - 1}`, perm);
      }
      seen[v] = 1;
    }
  });
}

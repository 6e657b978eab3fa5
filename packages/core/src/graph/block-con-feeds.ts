/**
 * The per-step feeds of the graph {@link blockConLoss}: which points form each group and under which
 * labels, for a fresh block shuffle, and which slices take part (docs/method/losses.md#cross-labels: before iteration 3000 only
 * the labeled slices, from then on all of them).
 *
 * The active slices a_0 < a_1 < … (A of them) are laid out exactly as the reference lays out a batch of
 * only those slices: A·V stacked sub-images, sub-image m = v·A + i being view v of slice a_i; one
 * permutation per sub-image; groups from the reference `blockGroupIndices` on that sub-layout (so
 * both label orders match the reference on the sub-batch). Each sub-image index is then mapped to the
 * graph's table, which keeps the features' own `[B, V]` image order (view v of slice b is image b·V + v),
 * and the N − A·V·b² positions after the active ones are padded with index 0 and mask 0.
 *
 * For {@link projectedBlockConLoss} (a spec with `projectedPixels` M = G·A_max·b²) the table is the
 * projected sampled pixels instead: group slot s owns rows s·A_max·b² … of each view's M rows, filled with
 * its points of that view in group order (the first A·b²; the rest, and `pixels` there, index 0), so
 * `points` holds row v·M + s·A_max·b² + j and `pixels` at that row the pixel a_i·H·W + y·W + x of view v's
 * map. The labels still index the `[B, V, H, W]` label maps.
 */
import type { TensorData } from '@mcsc/graph';
import { invalidValue } from '../internal/errors.js';
import { blockGroupIndices, drawBlockPermutations } from '../losses/block-sampling.js';
import type { Random } from '../random.js';
import type { BlockConSpec } from './block-con.js';

export interface BlockConStep {
  /**
   * The slices that take part: their count A (the first A slices, e.g. the labeled B_l before
   * iteration 3000) or their indices, at most the spec's A_max. Default: the first A_max (all B
   * slices unless the graph was built with `options.slices`).
   */
  activeSlices?: number | readonly number[];
  /** One permutation of the G blocks per active sub-image (A·V of them, view 0's first). */
  permutations?: ReadonlyArray<ArrayLike<number>>;
  /** Source of the permutations when none are given (one `permutation` call per sub-image, as the reference loss). */
  random?: Random;
  /**
   * With `groupsPerStep` < G_h·G_w: which groups k this step contrasts (`groupsPerStep` distinct indices).
   * Default: the first `groupsPerStep` of `random.permutation(G_h·G_w)`, drawn after the permutations.
   */
  groupSubset?: ArrayLike<number>;
}

/**
 * The step inputs of one {@link BlockConSpec}, by graph input name:
 * `{ [points]: BigInt64Array(G·N), [labels]: BigInt64Array(G·N), [mask]: Float32Array(N) }`, and
 * `[pixels]: BigInt64Array(V·M)` for a spec of {@link projectedBlockConLoss}.
 *
 * @throws TypeError when neither `permutations` nor `random` is given; RangeError for bad slices or permutations.
 */
export function blockConFeeds(spec: BlockConSpec, step: BlockConStep = {}): Record<string, TensorData> {
  const fn = 'blockConFeeds';
  const { batch, slices, views, height, width, blockSize, blockCoverage, labelOrder, blockCount, groups, pointsPerGroup: n } = spec;
  const active = activeSliceList(fn, step.activeSlices ?? slices, batch);
  if (active.length > slices) {
    throw invalidValue(
      fn,
      'step.activeSlices',
      `must name at most the graph's A_max = ${slices} slices (options.slices)`,
      step.activeSlices,
    );
  }
  const subImages = active.length * views;
  const points = new BigInt64Array(groups * n);
  const labels = new BigInt64Array(groups * n);
  const mask = new Float32Array(n);
  const projected = spec.projectedPixels; // M, the rows of each view in the projected point table
  const pixels = projected === undefined ? undefined : new BigInt64Array(views * projected);
  const feeds: Record<string, TensorData> = {
    [spec.inputNames.points]: points,
    [spec.inputNames.labels]: labels,
    [spec.inputNames.mask]: mask,
  };
  if (pixels) feeds[spec.inputNames.pixels!] = pixels;
  if (groups === 0 || subImages === 0) return feeds;

  let permutations = step.permutations;
  if (permutations === undefined) {
    if (step.random === undefined) throw invalidValue(fn, 'step.permutations', 'or step.random must be given', undefined);
    permutations = drawBlockPermutations(subImages, blockCount, step.random);
  }
  const subset = chosenGroups(fn, step, blockCount, groups);
  if (permutations.length !== subImages) {
    throw invalidValue(
      fn,
      'step.permutations.length',
      `must equal the active sub-images A·V = ${active.length}·${views} = ${subImages}`,
      permutations.length,
    );
  }
  const layout = { images: subImages, height, width, blockSize, blockCoverage, labelOrder, permutations: [...permutations] };
  const plane = height * width;
  // Table image of sub-image m = v·A + i (view v of slice a_i): a_i·V + v.
  const fullImage = Array.from({ length: subImages }, (_, m) => active[m % active.length]! * views + Math.floor(m / active.length));
  const toFull = (flat: number): bigint => BigInt(fullImage[Math.floor(flat / plane)]! * plane + (flat % plane));
  const used = subImages * blockSize * blockSize;
  const all = blockGroupIndices(layout);
  const perView = new Int32Array(views); // projected: the group's points of each view so far
  for (const [slot, k] of subset.entries()) {
    const group = all[k]!;
    const base = slot * n;
    perView.fill(0);
    for (let p = 0; p < used; p++) {
      const flat = group.points[p]!;
      labels[base + p] = toFull(group.labels[p]!);
      if (pixels === undefined) {
        points[base + p] = toFull(flat);
        continue;
      }
      const m = Math.floor(flat / plane); // sub-image v·A + i
      const v = Math.floor(m / active.length);
      const row = v * projected! + slot * slices * blockSize * blockSize + perView[v]!++;
      points[base + p] = BigInt(row);
      pixels[row] = BigInt(active[m % active.length]! * plane + (flat % plane));
    }
  }
  mask.fill(1, 0, used);
  return feeds;
}

function activeSliceList(fn: string, activeSlices: number | readonly number[], batch: number): number[] {
  if (typeof activeSlices === 'number') {
    if (!Number.isInteger(activeSlices) || activeSlices < 0 || activeSlices > batch) {
      throw invalidValue(fn, 'step.activeSlices', `must be an integer in [0, B = ${batch}] or a list of slice indices`, activeSlices);
    }
    return Array.from({ length: activeSlices }, (_, i) => i);
  }
  const list = [...activeSlices];
  const sorted = [...list].sort((a, b) => a - b);
  if (
    !Array.isArray(activeSlices) ||
    sorted.some((v, i) => !Number.isInteger(v) || v < 0 || v >= batch || (i > 0 && v === sorted[i - 1]))
  ) {
    throw invalidValue(fn, 'step.activeSlices', `must hold distinct slice indices in [0, ${batch})`, activeSlices);
  }
  return sorted;
}

/** The group indices of this step: all, in order, or a subset of `groups` of them. */
function chosenGroups(fn: string, step: BlockConStep, blockCount: number, groups: number): number[] {
  if (groups === blockCount && step.groupSubset === undefined) return Array.from({ length: blockCount }, (_, k) => k);
  let subset: number[];
  if (step.groupSubset !== undefined) subset = Array.from(step.groupSubset);
  else {
    if (step.random === undefined)
      throw invalidValue(fn, 'step.groupSubset', `or step.random must be given to choose ${groups} of ${blockCount} groups`, undefined);
    subset = Array.from(step.random.permutation(blockCount).subarray(0, groups));
  }
  const distinct = new Set(subset).size === subset.length;
  if (subset.length !== groups || !distinct || subset.some((k) => !Number.isInteger(k) || k < 0 || k >= blockCount)) {
    throw invalidValue(fn, 'step.groupSubset', `must hold ${groups} distinct group indices in [0, ${blockCount})`, step.groupSubset);
  }
  return subset;
}

/**
 * The graph BlockConLoss against the float64 reference `blockConLoss` (1e-5 relative): both label
 * orders, both coverages, all-background groups, inactive slices (the labeled-only phase), chunking;
 * a fresh shuffle per run of one compiled graph; the exposed class prevalence; FD gradients. The
 * projected form (heads applied after the gather) against the loss of the projected maps: loss and
 * every gradient.
 */
import ndarray from 'ndarray';
import {
  Graph,
  Random,
  concat,
  conv2d,
  gradients,
  l2Normalize,
  linear,
  liveNodes,
  mul,
  reduceMean,
  relu,
  reshape,
  sub,
  unsqueeze,
  type Tensor,
} from '@mcsc/graph';
import {
  blockConLoss as referenceBlockCon,
  blockGroupIndices,
  blocksPerSide,
  classPrevalence,
  drawBlockPermutations,
  graphLosses,
  type BlockCoverage,
  type BlockLabelOrder,
} from '../../src/index.js';
import { gradCheck } from '../../../graph/test/gradcheck';
import { compile, expectClose, runGraph } from './run-graph';
import { plainSupCon } from './oracles';

interface Case {
  name: string;
  batch: number;
  channels: number;
  size: number;
  blockSize: number;
  labelOrder: BlockLabelOrder;
  blockCoverage: BlockCoverage;
  /** Number of leading active slices, or their indices; undefined: all. */
  active?: number | number[];
  /** Probability that a pixel is foreground (else class 0); some groups end up all background when low. */
  foreground: number;
  chunkGroups?: number;
  numClasses: number;
}

const cases: Case[] = [
  {
    name: 'paper order, reference coverage',
    batch: 2,
    channels: 8,
    size: 9,
    blockSize: 2,
    labelOrder: 'paper',
    blockCoverage: 'reference',
    foreground: 0.5,
    numClasses: 4,
  },
  {
    name: 'reference order, reference coverage',
    batch: 2,
    channels: 8,
    size: 9,
    blockSize: 2,
    labelOrder: 'reference',
    blockCoverage: 'reference',
    foreground: 0.5,
    numClasses: 4,
  },
  {
    name: 'paper order, full coverage, chunks of 2',
    batch: 2,
    channels: 6,
    size: 8,
    blockSize: 2,
    labelOrder: 'paper',
    blockCoverage: 'full',
    foreground: 0.5,
    chunkGroups: 2,
    numClasses: 3,
  },
  {
    name: 'reference order, full coverage, chunks of 3',
    batch: 3,
    channels: 5,
    size: 6,
    blockSize: 3,
    labelOrder: 'reference',
    blockCoverage: 'full',
    foreground: 0.6,
    chunkGroups: 3,
    numClasses: 4,
  },
  {
    name: 'sparse foreground: all-background groups drop out',
    batch: 2,
    channels: 8,
    size: 8,
    blockSize: 2,
    labelOrder: 'paper',
    blockCoverage: 'full',
    foreground: 0.04,
    chunkGroups: 5,
    numClasses: 3,
  },
  {
    name: 'labeled-only phase: first 1 of 3 slices, paper order',
    batch: 3,
    channels: 8,
    size: 8,
    blockSize: 2,
    labelOrder: 'paper',
    blockCoverage: 'reference',
    active: 1,
    foreground: 0.5,
    numClasses: 4,
  },
  {
    name: 'labeled-only phase: first 2 of 3 slices, reference order, chunked',
    batch: 3,
    channels: 8,
    size: 8,
    blockSize: 2,
    labelOrder: 'reference',
    blockCoverage: 'full',
    active: 2,
    foreground: 0.4,
    chunkGroups: 4,
    numClasses: 4,
  },
  {
    name: 'slices 0 and 2 of 3 active, reference order',
    batch: 3,
    channels: 4,
    size: 6,
    blockSize: 3,
    labelOrder: 'reference',
    blockCoverage: 'full',
    active: [0, 2],
    foreground: 0.5,
    numClasses: 3,
  },
];

/** Unit features [B, 2, C, H, W] as float32 (and the same values in float64 for the reference), labels [B, 2, H, W]. */
function makeData(c: Case, random: Random) {
  const { batch, channels, size } = c;
  const f32 = new Float32Array(batch * 2 * channels * size * size);
  const plane = size * size;
  for (let n = 0; n < batch * 2; n++) {
    for (let p = 0; p < plane; p++) {
      const v = Array.from({ length: channels }, () => random.normal());
      const norm = Math.hypot(...v);
      v.forEach((x, ch) => (f32[(n * channels + ch) * plane + p] = x / norm));
    }
  }
  const labels = BigInt64Array.from({ length: batch * 2 * plane }, () =>
    BigInt(random.uniform() < c.foreground ? 1 + random.int(c.numClasses - 1) : 0),
  );
  return { f32, labels };
}

function activeList(c: Case): number[] {
  if (c.active === undefined) return Array.from({ length: c.batch }, (_, i) => i);
  return typeof c.active === 'number' ? Array.from({ length: c.active }, (_, i) => i) : c.active;
}

/** The reference on the active slices alone, with the same permutations. */
function reference(c: Case, f32: Float32Array, labels: BigInt64Array, permutations: Int32Array[]): number {
  const { channels, size } = c;
  const active = activeList(c);
  const per = 2 * channels * size * size;
  const perLabel = 2 * size * size;
  const f = new Float64Array(active.length * per);
  const y = new Float64Array(active.length * perLabel);
  active.forEach((s, i) => {
    f.set(f32.subarray(s * per, (s + 1) * per), i * per);
    y.set(Array.from(labels.subarray(s * perLabel, (s + 1) * perLabel), Number), i * perLabel);
  });
  return referenceBlockCon(ndarray(f, [active.length, 2, channels, size, size]), ndarray(y, [active.length, 2, size, size]), {
    blockSize: c.blockSize,
    permutations,
    labelOrder: c.labelOrder,
    blockCoverage: c.blockCoverage,
    numClasses: c.numClasses,
  });
}

/** The graph loss on inputs `features` and `labels` shaped for the case, with the case's options and `extra` on top. */
function build(c: Case, extra: Partial<graphLosses.BlockConGraphOptions> = {}) {
  const g = new Graph({ training: true });
  const features = g.input('features', [c.batch, 2, c.channels, c.size, c.size]);
  const labels = g.input('labels', [c.batch, 2, c.size, c.size], 'int64');
  const out = graphLosses.blockConLoss(features, labels, caseOptions(c, extra));
  return { g, out };
}

/** The loss options of a case, with `extra` on top. */
function caseOptions(c: Case, extra: Partial<graphLosses.BlockConGraphOptions> = {}): graphLosses.BlockConGraphOptions {
  return {
    blockSize: c.blockSize,
    numClasses: c.numClasses,
    labelOrder: c.labelOrder,
    blockCoverage: c.blockCoverage,
    ...(c.chunkGroups ? { chunkGroups: c.chunkGroups } : {}),
    ...extra,
  };
}

describe('graph blockConLoss equals the reference', () => {
  test.each(cases)('$name', async (c) => {
    const random = new Random(c.size * 31 + c.batch);
    const { g, out } = build(c);
    const runner = await compile(g, { loss: out.loss, groupLosses: out.groupLosses, foreground: out.foreground, counts: out.classCounts });
    const blockCount = blocksPerSide(c.size, c.blockSize, c.blockCoverage) ** 2;
    expect(out.spec.groups).toBe(blockCount);
    expect(out.spec.chunks).toBe(Math.ceil(blockCount / (c.chunkGroups ?? blockCount)));
    // Two steps on the same compiled graph, each with its own shuffle.
    let skipped = 0;
    for (let step = 0; step < 2; step++) {
      const { f32, labels } = makeData(c, random);
      const permutations = drawBlockPermutations(activeList(c).length * 2, blockCount, random);
      const feeds = graphLosses.blockConFeeds(out.spec, { permutations, ...(c.active === undefined ? {} : { activeSlices: c.active }) });
      const got = await runner.run({ features: f32, labels, ...feeds });
      const want = reference(c, f32, labels, permutations);
      expectClose(got.loss![0]!, want);
      if (c.labelOrder === 'reference') {
        // the two orders really differ here, so the comparison tells them apart
        const other = reference({ ...c, labelOrder: 'paper' }, f32, labels, permutations);
        expect(Math.abs(other - want)).toBeGreaterThan(1e-4 * Math.abs(want)); // 10× the tolerance
      }
      skipped += got.foreground!.filter((v) => v === 0).length;
    }
    if (c.foreground < 0.1) expect(skipped).toBeGreaterThan(0); // the case exercises the skip
    await runner.release();
  });

  test('no foreground anywhere, or no active slice, gives 0', async () => {
    const c = cases[0]!;
    const { g, out } = build(c);
    const runner = await compile(g, { loss: out.loss });
    const { f32 } = makeData(c, new Random(3));
    const background = new BigInt64Array(c.batch * 2 * c.size * c.size);
    const blockCount = out.spec.groups;
    const all = graphLosses.blockConFeeds(out.spec, { permutations: drawBlockPermutations(2 * c.batch, blockCount, new Random(1)) });
    expect(Math.abs((await runner.run({ features: f32, labels: background, ...all })).loss![0]!)).toBe(0);
    const { labels } = makeData(c, new Random(4));
    const none = graphLosses.blockConFeeds(out.spec, { activeSlices: 0, random: new Random(1) });
    expect(Math.abs((await runner.run({ features: f32, labels, ...none })).loss![0]!)).toBe(0);
    await runner.release();
  });

  test('fewer blocks than one per side: loss 0 with no step inputs needed', async () => {
    const g = new Graph();
    const out = graphLosses.blockConLoss(g.input('f', [1, 2, 3, 4, 4]), g.input('y', [1, 2, 4, 4], 'int64'), {
      blockSize: 3,
      numClasses: 2,
    });
    expect(out.spec.groups).toBe(0);
    expect((await runGraph(g, { loss: out.loss }, {})).loss![0]).toBe(0);
  });
});

describe('options', () => {
  test('groupsPerStep: a fresh subset of groups each step, averaged like the full loss over that subset', async () => {
    const c = cases[2]!; // 16 groups
    const random = new Random(31);
    const full = build(c);
    const fullRunner = await compile(full.g, { groupLosses: full.out.groupLosses, fg: full.out.foreground });
    const { g, out } = build(c, { groupsPerStep: 5 }); // the case's chunks of 2
    expect([out.spec.groups, out.spec.blockCount, out.spec.chunks]).toEqual([5, 16, 3]);
    const runner = await compile(g, { loss: out.loss });
    const subsets: number[][] = [];
    for (let step = 0; step < 2; step++) {
      const { f32, labels } = makeData(c, random);
      const permutations = drawBlockPermutations(2 * c.batch, 16, random);
      const subset = Array.from(random.permutation(16).subarray(0, 5));
      subsets.push(subset);
      const all = await fullRunner.run({ features: f32, labels, ...graphLosses.blockConFeeds(full.out.spec, { permutations }) });
      const got = await runner.run({
        features: f32,
        labels,
        ...graphLosses.blockConFeeds(out.spec, { permutations, groupSubset: subset }),
      });
      const used = subset.filter((k) => all.fg![k] === 1);
      expectClose(got.loss![0]!, used.reduce((a, k) => a + all.groupLosses![k]!, 0) / Math.max(used.length, 1));
    }
    expect(subsets[0]).not.toEqual(subsets[1]);
    // drawn from random after the permutations when not given
    const drawn = graphLosses.blockConFeeds(out.spec, { random: new Random(2) });
    const r = new Random(2);
    const perms = drawBlockPermutations(2 * c.batch, 16, r);
    expect(drawn).toEqual(graphLosses.blockConFeeds(out.spec, { permutations: perms, groupSubset: r.permutation(16).subarray(0, 5) }));
    expect(() => graphLosses.blockConFeeds(out.spec, { permutations: perms, groupSubset: [1, 1, 2, 3, 4] })).toThrow(
      /step.groupSubset must hold 5 distinct group indices in \[0, 16\)/,
    );
  });

  test('classBalanced: false is the plain SupCon denominator in every group', async () => {
    const c = cases[1]!;
    const random = new Random(41);
    const { g, out } = build(c, { classBalanced: false });
    const { f32, labels } = makeData(c, random);
    const permutations = drawBlockPermutations(2 * c.batch, out.spec.blockCount, random);
    const got = await runGraph(g, { loss: out.loss }, { features: f32, labels, ...graphLosses.blockConFeeds(out.spec, { permutations }) });
    // The oracle: the plain loss on each group's points as blockGroupIndices orders them.
    const plane = c.size * c.size;
    const at = (flat: number) => ({ n: Math.floor(flat / plane), p: flat % plane }); // stacked n = v·B + b
    const slot = (n: number) => (n % c.batch) * 2 + Math.floor(n / c.batch); // [B, V] position of stacked image n
    let total = 0;
    let used = 0;
    for (const group of blockGroupIndices({
      images: 2 * c.batch,
      height: c.size,
      width: c.size,
      blockSize: c.blockSize,
      labelOrder: c.labelOrder,
      permutations,
    })) {
      const y = Array.from(group.labels, (flat) => {
        const { n, p } = at(flat);
        return Number(labels[slot(n) * plane + p]);
      });
      if (y.every((v) => v === 0)) continue;
      const f = new Float64Array(group.points.length * c.channels);
      group.points.forEach((flat, i) => {
        const { n, p } = at(flat);
        for (let q = 0; q < c.channels; q++) f[i * c.channels + q] = f32[(slot(n) * c.channels + q) * plane + p]!;
      });
      total += plainSupCon(f, y, c.channels, 0.1);
      used++;
    }
    expectClose(got.loss![0]!, total / used);
  });
});

describe('class prevalence behind the balanced denominator', () => {
  test('classCounts, classWeights and positiveClassWeights equal the reference classPrevalence of every group', async () => {
    const c = cases[6]!; // inactive slices: counts must ignore the padding
    const { g, out } = build(c);
    const { f32, labels } = makeData(c, new Random(11));
    const blockCount = out.spec.groups;
    const permutations = drawBlockPermutations(2 * 2, blockCount, new Random(12));
    const feeds = graphLosses.blockConFeeds(out.spec, { permutations, activeSlices: 2 });
    const got = await runGraph(
      g,
      { counts: out.classCounts, w: out.classWeights, pw: out.positiveClassWeights, fg: out.foreground },
      { features: f32, labels, ...feeds },
    );
    // Reference groups of the active sub-batch (slices 0, 1 are the first 2·2·H·W labels of view-major stacking).
    const plane = c.size * c.size;
    const stackedLabel = (flat: number): number => {
      const m = Math.floor(flat / plane); // sub-image v·A + i
      const v = Math.floor(m / 2);
      const slice = m % 2;
      return Number(labels[(slice * 2 + v) * plane + (flat % plane)]);
    };
    const groups = blockGroupIndices({
      images: 4,
      height: c.size,
      width: c.size,
      blockSize: c.blockSize,
      blockCoverage: c.blockCoverage,
      labelOrder: c.labelOrder,
      permutations,
    });
    const k = c.numClasses;
    for (const group of groups) {
      const prevalence = classPrevalence(Array.from(group.labels, stackedLabel), k);
      for (let cl = 0; cl < k; cl++) {
        expect(got.counts![group.group * k + cl]).toBe(prevalence.counts[cl]);
        expectClose(got.w![group.group * k + cl]!, prevalence.weights[cl]!, 1e-6);
        expectClose(got.pw![group.group * k + cl]!, prevalence.positiveWeights[cl]!, 1e-6);
      }
      expect(got.fg![group.group]).toBe(prevalence.counts.slice(1).some((n) => n > 0) ? 1 : 0);
    }
  });
});

describe('graph blockConLoss gradients (finite differences)', () => {
  const orders: BlockLabelOrder[] = ['paper', 'reference'];
  const cases = orders.flatMap((order) => (['with-forward', 'recompute'] as const).map((pass) => [order, pass] as const));
  test.each(cases)('label order %s, 2 of 3 slices active, chunked (%s), through l2Normalize', async (labelOrder, backwardPass) => {
    const [batch, channels, size, b, k] = [3, 3, 4, 2, 3];
    const random = new Random(labelOrder === 'paper' ? 5 : 6);
    const spec = { groups: 4, n: batch * 2 * b * b };
    const labels = BigInt64Array.from({ length: batch * 2 * size * size }, () => BigInt(random.int(k)));
    const g0 = new Graph();
    const probe = graphLosses.blockConLoss(
      g0.input('f', [batch, 2, channels, size, size]),
      g0.input('y', [batch, 2, size, size], 'int64'),
      { blockSize: b, numClasses: k, blockCoverage: 'full', labelOrder },
    );
    const feeds = graphLosses.blockConFeeds(probe.spec, { activeSlices: 2, random });
    const r = await gradCheck(
      [
        { shape: [batch, 2, channels, size, size] },
        { shape: [batch, 2, size, size], dtype: 'int64', data: labels },
        { shape: [spec.groups, spec.n], dtype: 'int64', data: feeds[probe.spec.inputNames.points]! },
        { shape: [spec.groups, spec.n], dtype: 'int64', data: feeds[probe.spec.inputNames.labels]! },
        { shape: [spec.n], data: feeds[probe.spec.inputNames.mask]!, grad: false },
      ],
      (f, y, points, pointLabels, mask) =>
        graphLosses.blockConLoss(l2Normalize(f!, 2), y!, {
          blockSize: b,
          numClasses: k,
          blockCoverage: 'full',
          labelOrder,
          temperature: 0.5,
          chunkGroups: 3,
          backwardPass,
          inputs: { points: points!, labels: pointLabels!, mask: mask! },
        }).loss,
      { samples: 30, eps: 1e-2, rtol: 2e-2, atol: 2e-3 },
    );
    expect(r.failures).toEqual([]);
    expect(r.checked).toBe(30);
  });
});

describe('the two backward passes', () => {
  test('give the same loss and, for an output gradient of 3, the same feature gradient (to 1e-5); the default follows the graph', async () => {
    const c = cases.find((x) => (x.chunkGroups ?? 0) > 1 && x.foreground >= 0.1)!;
    const random = new Random(17);
    const { f32, labels } = makeData(c, random);
    const results = [];
    for (const backwardPass of ['with-forward', 'recompute'] as const) {
      const { g, out } = build(c, { backwardPass });
      expect(out.spec.chunks).toBeGreaterThan(1);
      const [grad] = gradients(mul(out.loss, 3), [g.inputs.find((t) => t.name === 'features')!]);
      const runner = await compile(g, { loss: out.loss, grad: grad! });
      const permutations = drawBlockPermutations(activeList(c).length * 2, out.spec.groups, new Random(3));
      results.push(await runner.run({ features: f32, labels, ...graphLosses.blockConFeeds(out.spec, { permutations }) }));
      await runner.release();
    }
    const [alongside, recomputed] = results as [Record<string, Float32Array>, Record<string, Float32Array>];
    expect(alongside.loss![0]).toBe(recomputed.loss![0]);
    const scale = Math.max(...recomputed.grad!.map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    alongside.grad!.forEach((v, i) => expect(Math.abs(v - recomputed.grad![i]!)).toBeLessThanOrEqual(1e-5 * scale));
    // training graphs compute the gradient with the forward pass, others on demand
    const fused = (training: boolean) => {
      const g = new Graph({ training });
      const out = graphLosses.blockConLoss(
        g.input('f', [c.batch, 2, c.channels, c.size, c.size]),
        g.input('y', [c.batch, 2, c.size, c.size], 'int64'),
        caseOptions(c),
      );
      return liveNodes(g, [out.loss]).filter((n) => n.op === 'ScatterElements').length;
    };
    expect(fused(true)).toBeGreaterThan(0);
    expect(fused(false)).toBe(0);
  });

  test('a bad backwardPass is a clear error', () => {
    const g = new Graph();
    const f = g.input('f', [1, 2, 1, 4, 4]);
    const y = g.input('y', [1, 2, 4, 4], 'int64');
    expect(() => graphLosses.blockConLoss(f, y, { blockSize: 2, numClasses: 2, backwardPass: 'lazy' as never })).toThrow(
      /options.backwardPass must be 'with-forward' or 'recompute', got "?lazy/,
    );
  });
});

describe('masked (inactive) slices contribute exactly nothing', () => {
  test("their feature gradient is exactly 0, the active slices' is not", async () => {
    const [batch, channels, size, b, k] = [3, 4, 6, 3, 3];
    const random = new Random(21);
    const g = new Graph();
    const features = g.input('features', [batch, 2, channels, size, size]);
    const labels = g.input('labels', [batch, 2, size, size], 'int64');
    const out = graphLosses.blockConLoss(features, labels, { blockSize: b, numClasses: k, blockCoverage: 'full' });
    const [grad] = gradients(out.loss, [features]);
    const f32 = Float32Array.from({ length: batch * 2 * channels * size * size }, () => random.normal() * 0.3);
    const y = BigInt64Array.from({ length: batch * 2 * size * size }, () => BigInt(random.int(k)));
    const feeds = graphLosses.blockConFeeds(out.spec, { activeSlices: [0, 2], random });
    const got = await runGraph(g, { grad: grad! }, { features: f32, labels: y, ...feeds });
    const per = 2 * channels * size * size;
    const slice = (s: number) => Array.from(got.grad!.subarray(s * per, (s + 1) * per));
    expect(slice(1).every((v) => v === 0)).toBe(true);
    expect(slice(0).some((v) => Math.abs(v) > 1e-4)).toBe(true);
    expect(slice(2).some((v) => Math.abs(v) > 1e-4)).toBe(true);
  });
});

describe('blockConFeeds', () => {
  const g = new Graph();
  const out = graphLosses.blockConLoss(g.input('f', [2, 2, 3, 6, 6]), g.input('y', [2, 2, 6, 6], 'int64'), {
    blockSize: 3,
    numClasses: 2,
    blockCoverage: 'full',
    name: 'scale1',
  });

  test('names, sizes and padding of the step inputs', () => {
    const feeds = graphLosses.blockConFeeds(out.spec, { activeSlices: 1, random: new Random(1) });
    expect(Object.keys(feeds).sort()).toEqual(['scale1.labels', 'scale1.mask', 'scale1.points']);
    expect(feeds['scale1.points']!.length).toBe(4 * 36);
    expect(Array.from(feeds['scale1.mask'] as Float32Array)).toEqual([...Array(18).fill(1), ...Array(18).fill(0)]);
    // slice 0 only: its two views are images 0 and 1 of the [B, V] order (b·V + v), view 0's block first
    const imageOf = (i: number) => Math.floor(Number((feeds['scale1.points'] as BigInt64Array)[i]) / 36);
    expect(Array.from({ length: 18 }, (_, i) => imageOf(i))).toEqual([...Array(9).fill(0), ...Array(9).fill(1)]);
    const second = graphLosses.blockConFeeds(out.spec, { activeSlices: [1], random: new Random(1) });
    expect(Array.from((second['scale1.points'] as BigInt64Array).subarray(0, 18), (p) => Math.floor(Number(p) / 36))).toEqual([
      ...Array(9).fill(2),
      ...Array(9).fill(3),
    ]);
  });

  test('draws from random exactly as the reference loss does', () => {
    const a = graphLosses.blockConFeeds(out.spec, { random: new Random(9) });
    const b = graphLosses.blockConFeeds(out.spec, { permutations: drawBlockPermutations(4, 4, new Random(9)) });
    expect(a).toEqual(b);
  });

  test('bad steps are clear errors', () => {
    expect(() => graphLosses.blockConFeeds(out.spec, {})).toThrow(
      'blockConFeeds: step.permutations or step.random must be given, got undefined',
    );
    expect(() => graphLosses.blockConFeeds(out.spec, { activeSlices: 3, random: new Random(1) })).toThrow(
      /blockConFeeds: step.activeSlices must be an integer in \[0, B = 2\]/,
    );
    expect(() => graphLosses.blockConFeeds(out.spec, { activeSlices: [1, 1], random: new Random(1) })).toThrow(
      /must hold distinct slice indices in \[0, 2\)/,
    );
    expect(() => graphLosses.blockConFeeds(out.spec, { permutations: [Int32Array.of(0, 1, 2, 3)] })).toThrow(
      /step.permutations.length must equal the active sub-images A·V = 2·2 = 4, got 1/,
    );
  });

  test('bad graph arguments are clear errors', () => {
    const h = new Graph();
    const f = h.input('f', [1, 2, 3, 4, 4]);
    const y = h.input('y', [1, 2, 4, 4], 'int64');
    expect(() => graphLosses.blockConLoss(f, h.input('y2', [1, 2, 4, 5], 'int64'), { blockSize: 2, numClasses: 2 })).toThrow(
      'graphLosses.blockConLoss: labels must be an int64 tensor [B, V, H, W] = [1, 2, 4, 4], got "int64[1, 2, 4, 5]"',
    );
    expect(() => graphLosses.blockConLoss(f, y, { blockSize: 0, numClasses: 2 })).toThrow(
      'graphLosses.blockConLoss: options.blockSize must be a positive integer, got 0',
    );
    expect(() => graphLosses.blockConLoss(f, y, { blockSize: 2, numClasses: 2, chunkGroups: 1.5 })).toThrow(
      /options.chunkGroups must be a positive integer, got 1.5/,
    );
    const tensor = (t: Tensor) => t;
    expect(() =>
      graphLosses.blockConLoss(f, y, { blockSize: 1, numClasses: 2, inputs: { points: tensor(y), labels: tensor(y), mask: tensor(f) } }),
    ).toThrow('graphLosses.blockConLoss: options.inputs.points must be an int64 tensor [9, 2], got "int64[1, 2, 4, 4]"');
  });
});

/**
 * projectedBlockConLoss against blockConLoss of the projected maps, in one graph on the same feeds: two
 * views with their own first layer (3 and 5 input channels) and a shared last one, as MCSC's heads,
 * given as graph inputs so that every parameter's gradient is compared too.
 */
describe('projectedBlockConLoss: the heads applied after the gather', () => {
  const [HIDDEN, C0, C1] = [7, 3, 5];
  /** The two forms of a pointwise head (or, with `centre`, one that subtracts the mean over its points: not pointwise). */
  function heads(g: Graph, c: number, centre = false) {
    const w = [g.input('w0', [HIDDEN, C0]), g.input('w1', [HIDDEN, C1])];
    const b = [g.input('b0', [HIDDEN]), g.input('b1', [HIDDEN])];
    const ws = g.input('ws', [c, HIDDEN]);
    const bs = g.input('bs', [c]);
    const conv = (x: Tensor, weight: Tensor, bias: Tensor) => conv2d(x, reshape(weight, [...weight.shape, 1, 1]), bias);
    const centred = (x: Tensor, axes: number[]) => (centre ? sub(x, reduceMean(x, axes, true)) : x);
    return {
      params: [...w, ...b, ws, bs],
      map: (x: Tensor, v: number) => l2Normalize(conv(relu(centred(conv(x, w[v]!, b[v]!), [0, 2, 3])), ws, bs), 1),
      points: (x: Tensor, v: number) => l2Normalize(linear(relu(centred(linear(x, w[v]!, b[v]!), [0])), ws, bs), 1),
      /** `points` before its L2 normalisation (for `normalize: true`, the loss normalising the joined rows). */
      rows: (x: Tensor, v: number) => linear(relu(centred(linear(x, w[v]!, b[v]!), [0])), ws, bs),
    };
  }

  function build(c: Case, extra: Partial<graphLosses.BlockConGraphOptions> = {}, centre = false) {
    const g = new Graph({ training: true });
    const views = [g.input('view0', [c.batch, C0, c.size, c.size]), g.input('view1', [c.batch, C1, c.size, c.size])];
    const labels = g.input('labels', [c.batch, 2, c.size, c.size], 'int64');
    const h = heads(g, c.channels, centre);
    const options = caseOptions(c, extra);
    // The old formulation: every pixel projected, the maps stacked [B, 2, C, H, W], then gathered.
    const stacked = concat([unsqueeze(h.map(views[0]!, 0), 1), unsqueeze(h.map(views[1]!, 1), 1)], 1);
    const maps = graphLosses.blockConLoss(stacked, labels, { ...options, name: 'maps' });
    const points = graphLosses.projectedBlockConLoss({ views, project: h.points }, labels, { ...options, name: 'points' });
    const joined = graphLosses.projectedBlockConLoss({ views, project: h.rows, normalize: true }, labels, { ...options, name: 'joined' });
    const wrt = [...views, ...h.params];
    const outputs: Record<string, Tensor> = { mapsLoss: maps.loss, pointsLoss: points.loss, joinedLoss: joined.loss };
    gradients(maps.loss, wrt).forEach((d, i) => (outputs[`maps.${wrt[i]!.name}`] = d!));
    gradients(points.loss, wrt).forEach((d, i) => (outputs[`points.${wrt[i]!.name}`] = d!));
    gradients(joined.loss, wrt).forEach((d, i) => (outputs[`joined.${wrt[i]!.name}`] = d!));
    return { g, maps, points, joined, outputs, names: wrt.map((t) => t.name) };
  }

  function feedsOf(c: Case, built: ReturnType<typeof build>, random: Random, subset?: number[]) {
    const values = (n: number) => Float32Array.from({ length: n }, () => random.normal() * 0.5);
    const plane = c.size * c.size;
    const feeds: Record<string, Float32Array | BigInt64Array> = {
      view0: values(c.batch * C0 * plane),
      view1: values(c.batch * C1 * plane),
      w0: values(HIDDEN * C0),
      w1: values(HIDDEN * C1),
      b0: values(HIDDEN),
      b1: values(HIDDEN),
      ws: values(c.channels * HIDDEN),
      bs: values(c.channels),
      labels: BigInt64Array.from({ length: c.batch * 2 * plane }, () =>
        BigInt(random.uniform() < c.foreground ? 1 + random.int(c.numClasses - 1) : 0),
      ),
    };
    const permutations = drawBlockPermutations(activeList(c).length * 2, built.maps.spec.blockCount, random);
    const step = {
      permutations,
      ...(c.active === undefined ? {} : { activeSlices: c.active }),
      ...(subset ? { groupSubset: subset } : {}),
    };
    return {
      ...feeds,
      ...graphLosses.blockConFeeds(built.maps.spec, step),
      ...graphLosses.blockConFeeds(built.points.spec, step),
      ...(built.joined ? graphLosses.blockConFeeds(built.joined.spec, step) : {}),
    };
  }

  /** max |a − b| over max |b|: the gradients compared as tensors (an element near 0 has no relative error of its own). */
  const relativeError = (a: Float32Array, b: Float32Array) => {
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < b.length; i++) {
      diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
      scale = Math.max(scale, Math.abs(b[i]!));
    }
    return { diff: diff / scale, scale };
  };

  const compared: [string, Case, Partial<graphLosses.BlockConGraphOptions>][] = [
    ['all slices, paper order', cases[0]!, {}],
    ['reference order, full coverage, chunks of 3', cases[3]!, {}],
    ['labeled-only phase (2 of 3 slices), chunked', cases[6]!, {}],
    ['slices 0 and 2 of 3, reference order', cases[7]!, {}],
    ['5 of 16 groups per step, chunks of 2, not class-balanced', cases[2]!, { groupsPerStep: 5, classBalanced: false }],
  ];
  test.each(compared)(
    '%s: the same loss and gradients (views and every head parameter) to 1e-5, the rows normalised by the heads or by the loss',
    async (_, c, extra) => {
      const random = new Random(c.size * 7 + c.batch);
      const built = build(c, extra);
      expect(built.points.spec.projectedPixels).toBe(built.points.spec.groups * c.batch * c.blockSize ** 2);
      const runner = await compile(built.g, built.outputs);
      let worst = 0;
      for (let step = 0; step < 2; step++) {
        const subset = extra.groupsPerStep
          ? Array.from(random.permutation(built.maps.spec.blockCount).subarray(0, extra.groupsPerStep))
          : undefined;
        const got = await runner.run(feedsOf(c, built, random, subset));
        expect(got.mapsLoss![0]).toBeGreaterThan(0);
        expectClose(got.pointsLoss![0]!, got.mapsLoss![0]!, 1e-5);
        expectClose(got.joinedLoss![0]!, got.mapsLoss![0]!, 1e-5);
        const errors = Object.fromEntries(
          ['points', 'joined'].flatMap((form) =>
            built.names.map((name) => [`${form}.${name}`, relativeError(got[`${form}.${name}`]!, got[`maps.${name}`]!)]),
          ),
        );
        // every gradient a real one (not 0 = 0), and the same to 1e-5 of its largest entry
        const failures = Object.entries(errors).filter(([, { diff, scale }]) => !(scale > 1e-4 && diff <= 1e-5));
        expect(failures).toEqual([]);
        worst = Math.max(worst, ...Object.values(errors).map((e) => e.diff));
      }
      if (process.env.BLOCKCON_REPORT) console.log(`${c.name}: largest gradient difference ${worst.toExponential(2)} of the largest entry`);
      await runner.release();
    },
  );

  /**
   * A graph built for at most A slices (`options.slices`, a phase that contrasts only A of the B slices)
   * against the graph for all B with the same A active (padded): the same loss and gradients, on the
   * same feeds' points, for a point set (A/B)² the size in every N×N product.
   */
  const phases: [string, Case, Partial<graphLosses.BlockConGraphOptions>][] = [
    ['first 1 of 3 slices', cases[5]!, {}],
    ['first 2 of 3 slices, chunked', cases[6]!, {}],
    ['slices 0 and 2 of 3', cases[7]!, {}],
    ['first 2 of 3 slices, 2 of the groups per step', cases[6]!, { groupsPerStep: 2 }],
  ];
  test.each(phases)('a graph for A slices (options.slices) equals the padded one with A active: %s', async (_, c, extra) => {
    const a = activeList(c).length;
    const g = new Graph({ training: true });
    const views = [g.input('view0', [c.batch, C0, c.size, c.size]), g.input('view1', [c.batch, C1, c.size, c.size])];
    const labels = g.input('labels', [c.batch, 2, c.size, c.size], 'int64');
    const h = heads(g, c.channels);
    const padded = graphLosses.projectedBlockConLoss({ views, project: h.points }, labels, caseOptions(c, { ...extra, name: 'padded' }));
    const small = graphLosses.projectedBlockConLoss(
      { views, project: h.points },
      labels,
      caseOptions(c, { ...extra, name: 'small', slices: a }),
    );
    expect(small.spec.slices).toBe(a);
    expect(small.spec.pointsPerGroup).toBe((padded.spec.pointsPerGroup * a) / c.batch);
    expect(small.spec.projectedPixels).toBe((padded.spec.projectedPixels! * a) / c.batch);
    const wrt = [...views, ...h.params];
    const outputs: Record<string, Tensor> = { padded: padded.loss, small: small.loss };
    gradients(padded.loss, wrt).forEach((d, i) => (outputs[`padded.${wrt[i]!.name}`] = d!));
    gradients(small.loss, wrt).forEach((d, i) => (outputs[`small.${wrt[i]!.name}`] = d!));
    const runner = await compile(g, outputs);
    const random = new Random(c.size * 11 + a);
    for (let step = 0; step < 2; step++) {
      const subset = extra.groupsPerStep
        ? Array.from(random.permutation(padded.spec.blockCount).subarray(0, extra.groupsPerStep))
        : undefined;
      const base = feedsOf(c, { maps: padded, points: padded } as ReturnType<typeof build>, random, subset);
      const permutations = drawBlockPermutations(a * 2, padded.spec.blockCount, random);
      const stepFeeds = { permutations, activeSlices: c.active ?? c.batch, ...(subset ? { groupSubset: subset } : {}) };
      const got = await runner.run({
        ...base,
        ...graphLosses.blockConFeeds(padded.spec, stepFeeds),
        ...graphLosses.blockConFeeds(small.spec, stepFeeds),
      });
      expect(got.padded![0]).toBeGreaterThan(0);
      expectClose(got.small![0]!, got.padded![0]!, 1e-5);
      const failures = wrt
        .map((t) => [t.name, relativeError(got[`small.${t.name}`]!, got[`padded.${t.name}`]!)] as const)
        .filter(([, { diff, scale }]) => !(scale > 1e-4 && diff <= 1e-5));
      expect(failures).toEqual([]);
    }
    await runner.release();
  });

  test('options.slices is checked, and a step may not name more slices than the graph holds', () => {
    const c = cases[6]!;
    const g = new Graph({ training: true });
    const views = [g.input('view0', [c.batch, C0, c.size, c.size]), g.input('view1', [c.batch, C1, c.size, c.size])];
    const labels = g.input('labels', [c.batch, 2, c.size, c.size], 'int64');
    const h = heads(g, c.channels);
    for (const slices of [0, 4, 1.5]) {
      expect(() => graphLosses.projectedBlockConLoss({ views, project: h.points }, labels, caseOptions(c, { slices }))).toThrow(
        `graphLosses.projectedBlockConLoss: options.slices must be an integer in [1, B = 3], got ${slices}`,
      );
    }
    const small = graphLosses.projectedBlockConLoss({ views, project: h.points }, labels, caseOptions(c, { slices: 2 }));
    expect(() => graphLosses.blockConFeeds(small.spec, { activeSlices: 3, random: new Random(1) })).toThrow(
      "blockConFeeds: step.activeSlices must name at most the graph's A_max = 2 slices (options.slices), got 3",
    );
    // the default is the graph's A_max: the first 2 slices
    const feeds = graphLosses.blockConFeeds(small.spec, { random: new Random(1) });
    expect((feeds[small.spec.inputNames.mask] as Float32Array).every((m) => m === 1)).toBe(true);
  });

  test('the comparison can fail: a head that is not pointwise (centred over its points) gives another loss', async () => {
    const c = cases[0]!;
    const built = build(c, {}, true);
    const got = await runGraph(
      built.g,
      { maps: built.outputs.mapsLoss!, points: built.outputs.pointsLoss! },
      feedsOf(c, built, new Random(3)),
    );
    expect(Math.abs(got.points![0]! - got.maps![0]!)).toBeGreaterThan(100 * 1e-5 * Math.abs(got.maps![0]!));
  });

  test("feeds: each view's sampled pixels once, the points as rows of the projected table, inactive slices never read", () => {
    const c = cases[7]!; // slices 0 and 2 of 3 active, 2×2 blocks of 3×3
    const { maps, points } = build(c);
    const step = { permutations: drawBlockPermutations(4, 4, new Random(5)), activeSlices: [0, 2] };
    const plain = graphLosses.blockConFeeds(maps.spec, step);
    const feeds = graphLosses.blockConFeeds(points.spec, step);
    expect(Object.keys(feeds).sort()).toEqual(['points.labels', 'points.mask', 'points.pixels', 'points.points']);
    const m = points.spec.projectedPixels!;
    expect(m).toBe(4 * 3 * 9);
    expect(feeds['points.labels']).toEqual(plain['maps.labels']);
    expect(feeds['points.mask']).toEqual(plain['maps.mask']);
    // Row r of the projected table is pixel pixels[r] of view ⌊r / M⌋: the same pixel as the plain loss reads.
    const plane = c.size * c.size;
    const rows = feeds['points.points'] as BigInt64Array;
    const pixels = feeds['points.pixels'] as BigInt64Array;
    const mask = feeds['points.mask'] as Float32Array;
    rows.forEach((row, i) => {
      if (mask[i % points.spec.pointsPerGroup] === 0) return;
      const view = Math.floor(Number(row) / m);
      const pixel = Number(pixels[Number(row)]);
      const slice = Math.floor(pixel / plane);
      expect(slice === 0 || slice === 2).toBe(true);
      expect((slice * 2 + view) * plane + (pixel % plane)).toBe(Number((plain['maps.points'] as BigInt64Array)[i]));
    });
    const active = Array.from(rows).filter((_, i) => mask[i % points.spec.pointsPerGroup] === 1);
    expect(new Set(active).size).toBe(active.length); // every sampled point projected once
  });

  test('bad heads are clear errors', () => {
    const g = new Graph();
    const y = g.input('y', [1, 2, 4, 4], 'int64');
    const v = g.input('v', [1, 3, 4, 4]);
    const options = { blockSize: 2, numClasses: 2 };
    expect(() => graphLosses.projectedBlockConLoss({ views: [], project: (x) => x }, y, options)).toThrow(
      'graphLosses.projectedBlockConLoss: heads.views must be a non-empty array of tensors, got []',
    );
    expect(() => graphLosses.projectedBlockConLoss({ views: [v, g.input('w', [1, 3, 4, 5])], project: (x) => x }, y, options)).toThrow(
      'graphLosses.projectedBlockConLoss: heads.views[1] must be a float32 tensor [B, C_v, H, W] = [1, C_v, 4, 4], got "float32[1, 3, 4, 5]"',
    );
    expect(() => graphLosses.projectedBlockConLoss({ views: [v], project: (x) => x }, y, options)).toThrow(
      'graphLosses.projectedBlockConLoss: labels must be an int64 tensor [B, V, H, W] = [1, 1, 4, 4], got "int64[1, 2, 4, 4]"',
    );
    const wide = g.input('wide', [1, 5, 4, 4]);
    expect(() => graphLosses.projectedBlockConLoss({ views: [v, wide], project: (x) => x }, y, options)).toThrow(
      'graphLosses.projectedBlockConLoss: heads.project(points, 1) must return a float32 tensor [M, C] = [4, 3], got "float32[4, 5]"',
    );
  });
});

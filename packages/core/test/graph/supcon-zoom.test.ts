/**
 * The graph class-balanced supervised contrastive loss on one point set against the reference
 * `supConLoss` (1e-5 relative) and FD gradients; the graph label zoom against `zoomNearest`.
 */
import ndarray from 'ndarray';
import { Graph, Random, l2Normalize } from '@mcsc/graph';
import { graphLosses, supConLoss, zoomNearest } from '../../src/index.js';
import { gradCheck } from '../../../graph/test/gradcheck';
import { expectClose, runGraph } from './run-graph';
import { plainSupCon } from './oracles';

function unitRows(n: number, c: number, random: Random): Float32Array {
  const out = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    const v = Array.from({ length: c }, () => random.normal());
    const norm = Math.hypot(...v);
    v.forEach((x, j) => (out[i * c + j] = x / norm));
  }
  return out;
}

const cases: [string, number, number, number, number[] | null][] = [
  // name, N, C, K, explicit labels (null: random)
  ['random labels, K = 4', 40, 16, 4, null],
  ['a singleton class (no positives) and an absent class', 9, 8, 4, [0, 0, 0, 1, 1, 1, 1, 3, 0]],
  ['one class only', 12, 8, 1, Array(12).fill(0)],
  ['C = 128, N = 200', 200, 128, 3, null],
];

describe('graph supConLoss equals the reference', () => {
  test.each(cases)('%s', async (_name, n, c, k, fixed) => {
    const random = new Random(n + c);
    const features = unitRows(n, c, random);
    const labels = fixed ?? Array.from({ length: n }, () => random.int(k));
    const g = new Graph();
    const f = g.input('f', [n, c]);
    const y = g.input('y', [n], 'int64');
    const got = await runGraph(
      g,
      { loss: graphLosses.supConLoss(f, y, { numClasses: k }) },
      { f: features, y: BigInt64Array.from(labels, BigInt) },
    );
    expectClose(got.loss![0]!, supConLoss(ndarray(Float64Array.from(features), [n, c]), labels, { numClasses: k }));
  });

  test('a mask equals the reference on the unmasked points; τ is honoured', async () => {
    const [n, c, k] = [30, 8, 3];
    const random = new Random(2);
    const features = unitRows(n, c, random);
    const labels = Array.from({ length: n }, () => random.int(k));
    const mask = Float32Array.from({ length: n }, (_, i) => (i % 3 === 1 ? 0 : 1));
    const g = new Graph();
    const f = g.input('f', [n, c]);
    const y = g.input('y', [n], 'int64');
    const m = g.input('m', [n]);
    const got = await runGraph(
      g,
      { loss: graphLosses.supConLoss(f, y, { numClasses: k, mask: m, temperature: 0.3 }) },
      { f: features, y: BigInt64Array.from(labels, BigInt), m: mask },
    );
    const keep = [...Array(n).keys()].filter((i) => mask[i] === 1);
    const kept = new Float64Array(keep.length * c);
    keep.forEach((i, r) => kept.set(features.subarray(i * c, (i + 1) * c), r * c));
    expectClose(
      got.loss![0]!,
      supConLoss(
        ndarray(kept, [keep.length, c]),
        keep.map((i) => labels[i]!),
        { numClasses: k, temperature: 0.3 },
      ),
    );
  });

  test('classBalanced: false is the plain SupCon denominator', async () => {
    const [n, c, k] = [25, 6, 3];
    const random = new Random(4);
    const features = unitRows(n, c, random);
    const labels = Array.from({ length: n }, () => random.int(k));
    const g = new Graph();
    const f = g.input('f', [n, c]);
    const y = g.input('y', [n], 'int64');
    const got = await runGraph(
      g,
      { loss: graphLosses.supConLoss(f, y, { numClasses: k, classBalanced: false }) },
      { f: features, y: BigInt64Array.from(labels, BigInt) },
    );
    expectClose(got.loss![0]!, plainSupCon(features, labels, c, 0.1));
  });

  test('finite-difference gradients through l2Normalize', async () => {
    const [n, c, k] = [10, 4, 3];
    const labels = BigInt64Array.from([0, 1, 2, 0, 1, 1, 0, 2, 2, 1], (v) => BigInt(v));
    const r = await gradCheck(
      [{ shape: [n, c] }, { shape: [n], dtype: 'int64', data: labels }],
      (f, y) => graphLosses.supConLoss(l2Normalize(f!, 1), y!, { numClasses: k, temperature: 0.5 }),
      { samples: 40 },
    );
    expect(r.failures).toEqual([]);
  });
});

describe('graph zoomLabels equals zoomNearest', () => {
  test.each([
    ['224 → 28 shape, as the 1/8 labels (small: 24 → 3)', [2, 2, 24, 24], [3, 3], 'scipy'],
    ['scipy edge overshoot (22 → 20: last row/column 0)', [1, 2, 22, 22], [20, 20], 'scipy'],
    ['clamp edge (22 → 20)', [1, 2, 22, 22], [20, 20], 'clamp'],
    ['upsampling 5×7 → 9×4', [3, 5, 7], [9, 4], 'scipy'],
  ] as const)('%s', async (_name, shape, size, edge) => {
    const random = new Random(shape.length);
    const n = shape.reduce((a: number, b: number) => a * b, 1);
    const labels = Int32Array.from({ length: n }, () => 1 + random.int(4));
    const g = new Graph();
    const y = g.input('y', [...shape], 'int64');
    const z = graphLosses.zoomLabels(y, size, edge);
    const out = await runGraph(
      g,
      { z: graphLosses.zoomLabels(g.input('f', [...shape]), size, edge), zi: z },
      { y: BigInt64Array.from(labels, BigInt), f: Float32Array.from(labels) },
    );
    const want = zoomNearest(labels, shape, [...shape.slice(0, -2), ...size], { edge });
    expect(Array.from(out.z!)).toEqual(Array.from(want));
    expect(Array.from(out.zi! as unknown as BigInt64Array, Number)).toEqual(Array.from(want)); // int64 output, read as such
    expect(z.dtype).toBe('int64');
    expect(z.shape).toEqual([...shape.slice(0, -2), ...size]);
  });
});

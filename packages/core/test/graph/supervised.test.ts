/**
 * Graph CE, Dice and L_sup against the float64 references (1e-5 relative), with and without class
 * weights; the prevalence helpers against the reference `classPrevalence`; FD gradients.
 */
import ndarray from 'ndarray';
import { Graph, Random, softmax, type Tensor } from '@mcsc/graph';
import { classPrevalence, crossEntropy, diceLoss, diceLossPerClass, graphLosses, softmax as referenceSoftmax } from '../../src/index.js';
import { gradCheck } from '../../../graph/test/gradcheck';
import { expectClose, runGraph } from './run-graph';

interface Shape {
  name: string;
  /** [B, K, ...S] */
  logits: number[];
}

const shapes: Shape[] = [
  { name: '[2, 4, 5, 3]', logits: [2, 4, 5, 3] },
  { name: '[3, 2, 4, 4] (binary)', logits: [3, 2, 4, 4] },
  { name: '[1, 5, 2, 3, 4] (3-D)', logits: [1, 5, 2, 3, 4] },
  { name: '[6, 3] (no spatial axes)', logits: [6, 3] },
];

function data(shape: number[], seed: number, skipClass?: number) {
  const random = new Random(seed);
  const [b, k] = shape as [number, number];
  const spatial = shape.slice(2);
  const labelShape = [b, ...spatial];
  const size = shape.reduce((a, c) => a * c, 1);
  const logits = Float32Array.from({ length: size }, () => 2 * random.normal());
  const labels = BigInt64Array.from({ length: size / k }, () => {
    let v = random.int(k);
    while (v === skipClass) v = random.int(k);
    return BigInt(v);
  });
  const x64 = ndarray(Float64Array.from(logits), shape);
  const y64 = ndarray(Float64Array.from(labels, Number), labelShape);
  return { logits, labels, x64, y64, labelShape, k };
}

function graphOf(shape: number[], labelShape: number[]) {
  const g = new Graph();
  return { g, x: g.input('logits', shape), y: g.input('labels', labelShape, 'int64') };
}

/** Σ w_y·nll / Σ w_y and (1/K) Σ w_c d_c in float64. */
function weightedOracle(x64: ndarray.NdArray<Float64Array>, y64: ndarray.NdArray<Float64Array>, weights: ArrayLike<number>) {
  const [b, k] = x64.shape as [number, number];
  const spatial = x64.size / (b * k);
  let num = 0;
  let den = 0;
  for (let bi = 0; bi < b; bi++) {
    for (let s = 0; s < spatial; s++) {
      const row = Array.from({ length: k }, (_, c) => x64.data[(bi * k + c) * spatial + s]!);
      const y = y64.data[bi * spatial + s]!;
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      num += weights[y]! * (lse - row[y]!);
      den += weights[y]!;
    }
  }
  const terms = diceLossPerClass(referenceSoftmax(x64, 1), y64, k);
  const dice = Array.from(terms).reduce((a, d, c) => a + weights[c]! * d, 0) / k;
  return { ce: den > 0 ? num / den : 0, dice };
}

describe('graph CE, Dice and L_sup equal the references', () => {
  test.each(shapes)('unweighted, $name', async ({ logits: shape }) => {
    const { logits, labels, x64, y64, labelShape, k } = data(shape, shape.length * 7 + shape[1]!);
    const { g, x, y } = graphOf(shape, labelShape);
    const sup = graphLosses.supervisedLoss(x, y);
    const got = await runGraph(
      g,
      {
        ce: graphLosses.crossEntropy(x, y),
        dice: graphLosses.diceLoss(softmax(x, 1), y, k),
        perClass: graphLosses.diceLossPerClass(softmax(x, 1), y, k),
        sup: sup.loss,
        supCe: sup.ce,
        supDice: sup.dice,
      },
      { logits, labels },
    );
    const ce = crossEntropy(x64, y64);
    const dice = diceLoss(referenceSoftmax(x64, 1), y64, k);
    expectClose(got.ce![0]!, ce);
    expectClose(got.dice![0]!, dice);
    const terms = diceLossPerClass(referenceSoftmax(x64, 1), y64, k);
    terms.forEach((d, c) => expectClose(got.perClass![c]!, d, 1e-5, 1e-6));
    expectClose(got.sup![0]!, 0.5 * (ce + dice));
    expect([got.supCe![0], got.supDice![0]]).toEqual([got.ce![0], got.dice![0]]);
  });

  const weightings: [string, number | undefined, (y: Tensor, k: number) => graphLosses.ClassWeighting, (counts: Int32Array) => number[]][] =
    [
      [
        'fixed numbers',
        undefined,
        (_y, k) => Array.from({ length: k }, (_, c) => 0.5 + c),
        (counts) => Array.from(counts, (_, c) => 0.5 + c),
      ],
      [
        'a [K] tensor',
        undefined,
        (y, k) =>
          y.graph.constant(
            Float32Array.from({ length: k }, (_, c) => 2 - c / k),
            [k],
          ),
        (counts) => Array.from(counts, (_, c) => 2 - c / counts.length),
      ],
      ["'prevalence', all classes present", undefined, () => 'prevalence', prevalenceOracle],
      ["'prevalence', class 1 absent", 1, () => 'prevalence', prevalenceOracle],
    ];
  test.each(weightings)('weighted: %s', async (_name, skipClass, weighting, oracleWeights) => {
    const shape = [2, 4, 5, 3];
    const { logits, labels, x64, y64, labelShape, k } = data(shape, 17, skipClass);
    const { g, x, y } = graphOf(shape, labelShape);
    const classWeights = weighting(y, k);
    const got = await runGraph(
      g,
      {
        ce: graphLosses.crossEntropy(x, y, { classWeights }),
        dice: graphLosses.diceLoss(softmax(x, 1), y, k, { classWeights }),
        sup: graphLosses.supervisedLoss(x, y, { classWeights }).loss,
      },
      { logits, labels },
    );
    const weights = oracleWeights(classPrevalence(Array.from(labels, Number), k).counts);
    const want = weightedOracle(x64, y64, weights);
    expectClose(got.ce![0]!, want.ce);
    expectClose(got.dice![0]!, want.dice);
    expectClose(got.sup![0]!, 0.5 * (want.ce + want.dice));
    if (weighting(y, k) === 'prevalence') {
      // class-balanced CE: the mean over present classes of each class's mean pixel loss
      const perClass = new Map<number, number[]>();
      const [b, kk] = shape as [number, number];
      const spatial = x64.size / (b * kk);
      for (let i = 0; i < labels.length; i++) {
        const bi = Math.floor(i / spatial);
        const s = i % spatial;
        const row = Array.from({ length: kk }, (_, c) => x64.data[(bi * kk + c) * spatial + s]!);
        const max = Math.max(...row);
        const c = Number(labels[i]);
        perClass.set(c, [...(perClass.get(c) ?? []), max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) - row[c]!]);
      }
      const means = [...perClass.values()].map((v) => v.reduce((a, c) => a + c, 0) / v.length);
      expectClose(got.ce![0]!, means.reduce((a, c) => a + c, 0) / means.length);
    }
  });

  test("'none' and uniform weights give the unweighted losses", async () => {
    const shape = [2, 3, 4, 4];
    const { logits, labels, labelShape } = data(shape, 3);
    const { g, x, y } = graphOf(shape, labelShape);
    const got = await runGraph(
      g,
      {
        a: graphLosses.crossEntropy(x, y, { classWeights: 'none' }),
        b: graphLosses.crossEntropy(x, y, { classWeights: [1, 1, 1] }),
        c: graphLosses.diceLoss(softmax(x, 1), y, 3),
        d: graphLosses.diceLoss(softmax(x, 1), y, 3, { classWeights: [1, 1, 1] }),
      },
      { logits, labels },
    );
    expectClose(got.b![0]!, got.a![0]!, 1e-6);
    expectClose(got.d![0]!, got.c![0]!, 1e-6);
  });
});

/** (1/n_c) / ((1/K) Σ_present 1/n_c'), 0 for absent classes. */
function prevalenceOracle(counts: Int32Array): number[] {
  const inverse = Array.from(counts, (n) => (n > 0 ? 1 / n : 0));
  const total = inverse.reduce((a, c) => a + c, 0);
  return inverse.map((v) => (v * counts.length) / total);
}

describe('class prevalence of the supervised labels', () => {
  test('classCounts equals the reference counts; prevalenceWeights sum to K, 0 for absent classes', async () => {
    const shape = [3, 5, 4, 4];
    const { logits, labels, labelShape, k } = data(shape, 8, 2);
    const { g, x, y } = graphOf(shape, labelShape);
    void x;
    const got = await runGraph(
      g,
      { counts: graphLosses.classCounts(y, k), weights: graphLosses.prevalenceWeights(y, k) },
      { logits, labels },
    );
    const counts = classPrevalence(Array.from(labels, Number), k).counts;
    expect(Array.from(got.counts!)).toEqual(Array.from(counts));
    prevalenceOracle(counts).forEach((w, c) => expectClose(got.weights![c]!, w, 1e-6));
    expect(got.weights![2]).toBe(0);
    expectClose(
      got.weights!.reduce((a, c) => a + c, 0),
      k,
      1e-6,
    );
  });
});

describe('graph CE and Dice gradients (finite differences)', () => {
  const cases: [string, graphLosses.ClassWeighting][] = [
    ['unweighted', 'none'],
    ['fixed weights', [0.5, 1, 2, 0.25]],
    ['prevalence', 'prevalence'],
  ];
  test.each(cases)('L_sup, %s', async (_name, classWeights) => {
    const [b, k, h, w] = [2, 4, 3, 3];
    const labels = BigInt64Array.from({ length: b * h * w }, (_, i) => BigInt((i * 7) % 5 === 4 ? 0 : ((i * 7) % 5) % k));
    const r = await gradCheck(
      [{ shape: [b, k, h, w] }, { shape: [b, h, w], dtype: 'int64', data: labels }],
      (x, y) => graphLosses.supervisedLoss(x!, y!, { classWeights }).loss,
      { samples: 30 },
    );
    expect(r.failures).toEqual([]);
  });
});

describe('argument errors', () => {
  const g = new Graph();
  const x = g.input('x', [1, 3, 2, 2]);
  const y = g.input('y', [1, 2, 2], 'int64');
  test.each([
    [
      'wrong label shape',
      () => graphLosses.crossEntropy(x, g.input('y2', [1, 2, 3], 'int64')),
      'graphLosses.crossEntropy: labels.shape must equal [B, ...S] of logits [1, 2, 2], got [1, 2, 3]',
    ],
    [
      'float labels',
      () => graphLosses.crossEntropy(x, g.input('y3', [1, 2, 2])),
      'graphLosses.crossEntropy: labels must be an int64 tensor of class indices, got "float32[1, 2, 2]"',
    ],
    [
      'weights of the wrong length',
      () => graphLosses.crossEntropy(x, y, { classWeights: [1, 2] }),
      'graphLosses.crossEntropy: options.classWeights must hold K = 3 finite non-negative numbers, got [1, 2]',
    ],
    [
      'a weight tensor of the wrong shape',
      () => graphLosses.diceLoss(x, y, 3, { classWeights: g.input('w', [4]) }),
      'graphLosses.diceLoss: options.classWeights must be a float32 [3] tensor, got "float32[4]"',
    ],
    ['K that does not match', () => graphLosses.diceLoss(x, y, 4), 'graphLosses.diceLoss: probs.shape[1] must equal numClasses 4, got 3'],
  ])('%s', (_name, call, message) => {
    expect(call).toThrow(message);
  });
});

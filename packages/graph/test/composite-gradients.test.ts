/**
 * Hand-written gradient rules against autodiff of the same function built from primitive ops.
 * Each case builds both forms on the same random inputs, weights both outputs by the same random R
 * (L = Σ f·R) and differentiates each loss; onnxruntime runs one graph with the four results. The
 * composite's gradient is what autodiff derives from the primitives' rules (Add, Mul, Exp, Reduce…),
 * so a wrong hand-written rule shows even where finite differences are too coarse to see it.
 */
import * as G from '../src/index';
import { Graph, Random, emitModel, gradients, type Tensor } from '../src/index';
import { nodeRuntime } from '../src/node';
import { distinctData, randomData } from './gradcheck';

interface Spec {
  shape: number[];
  /** Values; default N(0, 1) away from 0. */
  data?: Float32Array;
  /** Differentiate with respect to it; default true. */
  grad?: boolean;
}

interface Case {
  name: string;
  inputs: Spec[];
  handWritten: (g: Graph, ...xs: Tensor[]) => Tensor;
  composite: (g: Graph, ...xs: Tensor[]) => Tensor;
  training?: boolean;
  /** Largest |hand − composite| allowed, relative to the largest |composite| entry; default 1e-5. */
  rtol?: number;
}

const r = new Random(11);
const positive = (shape: number[]) => Float32Array.from(randomData(shape, r), (v) => Math.abs(v) + 0.5);
const perChannel = (t: Tensor) => G.reshape(t, [1, -1, 1, 1]);

/** BatchNorm2d's inputs for x [N, C, H, W]: x, weight, bias (differentiated); running mean and positive variance (not). */
function batchNormInputs(shape: [number, number, number, number]): Spec[] {
  const c = [shape[1]];
  return [{ shape }, { shape: c }, { shape: c }, { shape: c, grad: false }, { shape: c, data: positive(c), grad: false }];
}

/** Biased mean and variance over `axes` (kept), as the normalisations use. */
function moments(x: Tensor, axes: number[]) {
  const mean = G.reduceMean(x, axes, true);
  const centered = G.sub(x, mean);
  return { centered, variance: G.reduceMean(G.mul(centered, centered), axes, true) };
}

/** Σ over kernel taps of strided views of the padded input: the windows of a 2-D pooling or convolution. */
function windows(x: Tensor, k: [number, number], s: [number, number], p: [number, number], d: [number, number], value = 0): Tensor[][] {
  const [, , h, w] = x.shape as [number, number, number, number];
  const oh = Math.floor((h + 2 * p[0] - d[0] * (k[0] - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((w + 2 * p[1] - d[1] * (k[1] - 1) - 1) / s[1]) + 1;
  const padded = G.pad(x, [0, 0, p[0], p[1], 0, 0, p[0], p[1]], value);
  return Array.from({ length: k[0] }, (_, i) =>
    Array.from({ length: k[1] }, (_, j) =>
      G.slice(padded, {
        axes: [2, 3],
        starts: [i * d[0], j * d[1]],
        ends: [i * d[0] + s[0] * (oh - 1) + 1, j * d[1] + s[1] * (ow - 1) + 1],
        steps: s,
      }),
    ),
  );
}

/** Conv from Pad, Slice, MatMul and Add: y = Σ_taps W[:, :, i, j] · view_ij(x). */
function convComposite(x: Tensor, w: Tensor, b: Tensor, s: [number, number], p: [number, number], d: [number, number]): Tensor {
  const [n, c] = x.shape as [number, number];
  const [o, , kh, kw] = w.shape as [number, number, number, number];
  const views = windows(x, [kh, kw], s, p, d);
  const [oh, ow] = [views[0]![0]!.shape[2]!, views[0]![0]!.shape[3]!];
  let y: Tensor | null = null;
  views.forEach((row, i) =>
    row.forEach((view, j) => {
      const tap = G.reshape(G.slice(w, { axes: [2, 3], starts: [i, j], ends: [i + 1, j + 1] }), [o, c]);
      const term = G.matmul(tap, G.reshape(view, [n, c, oh * ow]));
      y = y ? G.add(y, term) : term;
    }),
  );
  return G.add(G.reshape(y!, [n, o, oh, ow]), G.reshape(b, [1, o, 1, 1]));
}

const cases: Case[] = [
  {
    name: 'Softmax (last axis) = exp(x − max) / Σ exp(x − max)',
    inputs: [{ shape: [3, 7] }],
    handWritten: (_g, x) => G.softmax(x!),
    composite: (_g, x) => {
      const e = G.exp(G.sub(x!, G.reduceMax(x!, [-1], true)));
      return G.div(e, G.reduceSum(e, [-1], true));
    },
  },
  {
    name: 'Softmax (axis 1 of 4-D)',
    inputs: [{ shape: [2, 5, 3, 2] }],
    handWritten: (_g, x) => G.softmax(x!, 1),
    composite: (_g, x) => {
      const e = G.exp(G.sub(x!, G.reduceMax(x!, [1], true)));
      return G.div(e, G.reduceSum(e, [1], true));
    },
  },
  {
    name: 'LogSoftmax = (x − max) − log Σ exp(x − max)',
    inputs: [{ shape: [4, 6] }],
    handWritten: (_g, x) => G.logSoftmax(x!),
    composite: (_g, x) => {
      const shifted = G.sub(x!, G.reduceMax(x!, [-1], true));
      return G.sub(shifted, G.log(G.reduceSum(G.exp(shifted), [-1], true)));
    },
  },
  {
    name: 'LogSoftmax (axis 0)',
    inputs: [{ shape: [5, 3] }],
    handWritten: (_g, x) => G.logSoftmax(x!, 0),
    composite: (_g, x) => {
      const shifted = G.sub(x!, G.reduceMax(x!, [0], true));
      return G.sub(shifted, G.log(G.reduceSum(G.exp(shifted), [0], true)));
    },
  },
  {
    name: 'LayerNorm (last axis) = (x − μ)/√(σ² + ε)·γ + β',
    inputs: [{ shape: [2, 3, 8] }, { shape: [8] }, { shape: [8] }],
    handWritten: (_g, x, gamma, beta) => G.layerNorm(x!, gamma!, beta!),
    composite: (_g, x, gamma, beta) => {
      const { centered, variance } = moments(x!, [2]);
      return G.add(G.mul(G.div(centered, G.sqrt(G.add(variance, 1e-5))), gamma!), beta!);
    },
  },
  {
    name: 'LayerNorm (trailing axes from 1, eps 1e-3)',
    inputs: [{ shape: [3, 4, 5] }, { shape: [4, 5] }, { shape: [4, 5] }],
    handWritten: (_g, x, gamma, beta) => G.layerNorm(x!, gamma!, beta!, { axis: 1, eps: 1e-3 }),
    composite: (_g, x, gamma, beta) => {
      const { centered, variance } = moments(x!, [1, 2]);
      return G.add(G.mul(G.div(centered, G.sqrt(G.add(variance, 1e-3))), gamma!), beta!);
    },
  },
  {
    name: 'BatchNorm2d, training mode (batch statistics)',
    training: true,
    inputs: batchNormInputs([4, 3, 5, 5]),
    handWritten: (g, x, weight, bias) => G.batchNorm2d(x!, { weight: weight!, bias: bias!, ...runningStats(g, 3) }),
    composite: (_g, x, weight, bias) => {
      const { centered, variance } = moments(x!, [0, 2, 3]);
      return G.add(G.mul(G.div(centered, G.sqrt(G.add(variance, 1e-5))), perChannel(weight!)), perChannel(bias!));
    },
  },
  {
    name: 'BatchNorm2d, eval mode (running statistics)',
    training: false,
    inputs: batchNormInputs([2, 4, 3, 3]),
    handWritten: (_g, x, weight, bias, mean, variance) =>
      G.batchNorm2d(x!, { weight: weight!, bias: bias!, runningMean: mean!, runningVar: variance! }),
    composite: (_g, x, weight, bias, mean, variance) =>
      G.add(G.mul(G.div(G.sub(x!, perChannel(mean!)), G.sqrt(G.add(perChannel(variance!), 1e-5))), perChannel(weight!)), perChannel(bias!)),
  },
  {
    name: 'Sigmoid = 1 / (1 + exp(−x))',
    inputs: [{ shape: [3, 5] }],
    handWritten: (_g, x) => G.sigmoid(x!),
    composite: (_g, x) => G.div(1, G.add(G.exp(G.neg(x!)), 1)),
  },
  {
    name: 'Tanh = (1 − exp(−2x)) / (1 + exp(−2x))',
    inputs: [{ shape: [3, 5] }],
    handWritten: (_g, x) => G.tanh(x!),
    composite: (_g, x) => {
      const e = G.exp(G.mul(x!, -2));
      return G.div(G.sub(1, e), G.add(e, 1));
    },
  },
  {
    name: 'LeakyRelu = where(x > 0, x, α·x)',
    inputs: [{ shape: [4, 4] }],
    handWritten: (_g, x) => G.leakyRelu(x!, 0.2),
    composite: (_g, x) => G.where(G.greater(G.stopGradient(x!), 0), x!, G.mul(x!, 0.2)),
  },
  {
    name: 'Gemm (transA, transB, α, β) = α·Aᵀ·Bᵀ + β·C',
    inputs: [{ shape: [4, 3] }, { shape: [5, 4] }, { shape: [1, 5] }],
    handWritten: (_g, a, b, c) => G.gemm(a!, b!, c!, { transA: true, transB: true, alpha: 0.5, beta: 2 }),
    composite: (_g, a, b, c) => G.add(G.mul(G.matmul(G.transpose(a!, [1, 0]), G.transpose(b!, [1, 0])), 0.5), G.mul(c!, 2)),
  },
  {
    name: 'AveragePool 3×3 stride 2 pad 1 = Σ strided views / 9 (padding counted)',
    inputs: [{ shape: [2, 3, 7, 6] }],
    handWritten: (_g, x) => G.avgPool2d(x!, { kernel: 3, stride: 2, padding: 1 }),
    composite: (_g, x) =>
      G.div(
        windows(x!, [3, 3], [2, 2], [1, 1], [1, 1])
          .flat()
          .reduce((a, b) => G.add(a, b)),
        9,
      ),
  },
  {
    name: 'MaxPool 3×3 stride 2 pad 1 = max over strided views (−∞ padding)',
    training: true,
    inputs: [{ shape: [2, 2, 7, 6], data: distinctData([2, 2, 7, 6], r) }],
    handWritten: (_g, x) => G.maxPool2d(x!, { kernel: 3, stride: 2, padding: 1 }),
    composite: (_g, x) =>
      G.reduceMax(
        G.concat(
          windows(x!, [3, 3], [2, 2], [1, 1], [1, 1], -Infinity)
            .flat()
            .map((v) => G.unsqueeze(v, 0)),
          0,
        ),
        [0],
      ),
  },
  {
    name: 'Conv 3×3 pad 1 + bias = Σ_taps W_ij · view_ij(x) + b',
    inputs: [{ shape: [2, 3, 6, 5] }, { shape: [4, 3, 3, 3] }, { shape: [4] }],
    handWritten: (_g, x, w, b) => G.conv2d(x!, w!, b!, { padding: 1 }),
    composite: (_g, x, w, b) => convComposite(x!, w!, b!, [1, 1], [1, 1], [1, 1]),
  },
  {
    name: 'Conv 3×2 stride 2 dilation [1, 2] pad [1, 2]',
    inputs: [{ shape: [1, 2, 9, 8] }, { shape: [3, 2, 3, 2] }, { shape: [3] }],
    handWritten: (_g, x, w, b) => G.conv2d(x!, w!, b!, { stride: 2, dilation: [1, 2], padding: [1, 2] }),
    composite: (_g, x, w, b) => convComposite(x!, w!, b!, [2, 2], [1, 2], [1, 2]),
  },
  {
    name: 'Resize nearest (up 7×5 → 12×8, down → 4×3) = Gather rows, then Gather columns',
    inputs: [{ shape: [2, 3, 7, 5] }],
    handWritten: (_g, x) =>
      G.concat([G.reshape(G.resizeNearest(x!, [12, 8]), [2, 3, -1]), G.reshape(G.resizeNearest(x!, [4, 3]), [2, 3, -1])], 2),
    composite: (g, x) => {
      const resize = (oh: number, ow: number) => {
        const rows = G.gather(x!, g.ints([...G.nearestIndices(7, oh, 'torch')]), 2);
        return G.reshape(G.gather(rows, g.ints([...G.nearestIndices(5, ow, 'torch')]), 3), [2, 3, -1]);
      };
      return G.concat([resize(12, 8), resize(4, 3)], 2);
    },
  },
];

function runningStats(g: Graph, c: number) {
  const ones = () => new Float32Array(c).fill(1);
  return {
    runningMean: g.state(`rm${g.states.length}`, [c], () => new Float32Array(c)),
    runningVar: g.state(`rv${g.states.length}`, [c], ones),
  };
}

/** max |a − b| / max |b|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  b.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(a[i]! - v));
    scale = Math.max(scale, Math.abs(v));
  });
  return diff / Math.max(scale, 1e-30);
}

describe('hand-written gradient rules = autodiff of their composites', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const g = new Graph({ training: c.training ?? false, dropout: false });
    const xs = c.inputs.map((s, i) => g.input(`x${i}`, s.shape));
    const values = c.inputs.map((s) => s.data ?? randomData(s.shape, r));
    const hand = c.handWritten(g, ...xs);
    const composite = c.composite(g, ...xs);
    expect(composite.shape).toEqual(hand.shape);
    const weights = g.constant(randomData([...hand.shape], r, 0), hand.shape);
    const wrt = xs.filter((_, i) => c.inputs[i]!.grad !== false);
    const dHand = gradients(G.reduceSum(G.mul(hand, weights)), wrt);
    const dComposite = gradients(G.reduceSum(G.mul(composite, weights)), wrt);
    const outputs: Record<string, Tensor> = { hand, composite };
    wrt.forEach((_, k) => {
      outputs[`hand${k}`] = dHand[k]!;
      outputs[`composite${k}`] = dComposite[k]!;
    });
    const model = emitModel(g, { outputs, keepInputs: xs });
    const session = await nodeRuntime().createSession(model.bytes);
    const feeds = Object.fromEntries(
      model.inputs.map((t) => {
        const i = xs.indexOf(t);
        const data = i >= 0 ? values[i]! : g.initializers.get(t.name)!({ shape: t.shape, name: t.name, random: r });
        return [t.name, { type: t.dtype, data, dims: t.shape }];
      }),
    );
    const out = await session.run(feeds);
    await session.release();
    const get = (name: string) => out[name]!.data as Float32Array;
    expect(relativeError(get('hand'), get('composite'))).toBeLessThan(1e-5);
    for (const k of wrt.keys()) {
      const err = relativeError(get(`hand${k}`), get(`composite${k}`));
      if (!(err < (c.rtol ?? 1e-5)))
        throw new Error(
          `${c.name}: gradient of input ${wrt[k]!.name} differs from the composite's by ${err.toExponential(2)} (relative to its largest entry)`,
        );
    }
  });
});

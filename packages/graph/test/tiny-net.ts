/**
 * A small encoder–decoder conv net for tests and the bench: Conv → BatchNorm → LeakyReLU → Dropout →
 * MaxPool → Conv → BN → ConvTranspose (×2 up) → concat skip → Conv → softmax, trained with
 * softmax cross-entropy on a synthetic "bright disc" segmentation task.
 */
import {
  type Graph,
  type Random,
  batchNorm2d,
  concat,
  conv2d,
  convTranspose2d,
  dropout,
  leakyRelu,
  logSoftmax,
  maxPool2d,
  mul,
  neg,
  oneHot,
  reduceMean,
  reduceSum,
  softmax,
  transpose,
  type Initializer,
  type Tensor,
} from '../src/index';

export const uniformInit =
  (fanIn: number): Initializer =>
  ({ shape, random }) => {
    const bound = 1 / Math.sqrt(fanIn);
    return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random.uniform() * 2 - 1) * bound);
  };
const fill =
  (v: number): Initializer =>
  ({ shape }) =>
    new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v);

/**
 * Conv 3×3 (padding 1) → BatchNorm → LeakyReLU(0.01). `countBatches: false` leaves out BatchNorm's
 * `num_batches_tracked` state (the engine bench's net, whose node counts docs/engine.md quotes).
 */
export function convBn(g: Graph, x: Tensor, name: string, cin: number, cout: number, countBatches = true): Tensor {
  const w = g.param(`${name}.weight`, [cout, cin, 3, 3], uniformInit(cin * 9));
  const b = g.param(`${name}.bias`, [cout], uniformInit(cin * 9));
  const y = conv2d(x, w, b, { padding: 1 });
  const bn = {
    weight: g.param(`${name}.bn.weight`, [cout], fill(1)),
    bias: g.param(`${name}.bn.bias`, [cout], fill(0)),
    runningMean: g.state(`${name}.bn.running_mean`, [cout], fill(0)),
    runningVar: g.state(`${name}.bn.running_var`, [cout], fill(1)),
    ...(countBatches ? { numBatchesTracked: g.state(`${name}.bn.num_batches_tracked`, [], () => new BigInt64Array(1), 'int64') } : {}),
  };
  return leakyRelu(batchNorm2d(y, bn), 0.01);
}

/** Mean pixel cross-entropy of `logits` [N, K, H, W] against a new int64 input `label` [N, H, W]. */
export function pixelCrossEntropy(g: Graph, logits: Tensor, batch: number, size: number, classes: number): Tensor {
  const label = g.input('label', [batch, size, size], 'int64');
  const target = transpose(oneHot(label, classes), [0, 3, 1, 2]);
  return neg(mul(reduceSum(mul(logSoftmax(logits, 1), target)), 1 / (batch * size * size)));
}

export interface TinyNetOptions {
  batch: number;
  size: number;
  width?: number;
  classes?: number;
  dropoutP?: number;
}

/** Builds logits-free outputs: `probs` [N, K, H, W] and, with labels, the mean CE `loss`. */
export function tinyNet(opts: TinyNetOptions) {
  const { batch, size, width = 8, classes = 2, dropoutP = 0.1 } = opts;
  return (g: Graph) => {
    const image = g.input('image', [batch, 1, size, size]);
    const x0 = dropout(convBn(g, image, 'enc0', 1, width), dropoutP);
    const x1 = convBn(g, maxPool2d(x0, { kernel: 2 }), 'enc1', width, 2 * width);
    const upW = g.param('up.weight', [2 * width, width, 2, 2], uniformInit(width * 4));
    const up = convTranspose2d(x1, upW, g.param('up.bias', [width], uniformInit(width * 4)), { stride: 2 });
    const x2 = convBn(g, concat([x0, up], 1), 'dec', 2 * width, width);
    const headW = g.param('head.weight', [classes, width, 1, 1], uniformInit(width));
    const logits = conv2d(x2, headW, g.param('head.bias', [classes], uniformInit(width)));
    const loss = pixelCrossEntropy(g, logits, batch, size, classes);
    return { loss, scalars: { meanLogit: reduceMean(logits) }, outputs: { probs: softmax(logits, 1) } };
  };
}

/** Discs brighter than a noisy background; label 1 inside the disc. */
export function discBatch(random: Random, batch: number, size: number) {
  const image = new Float32Array(batch * size * size);
  const label = new BigInt64Array(batch * size * size);
  for (let n = 0; n < batch; n++) {
    const cy = size * (0.3 + 0.4 * random.uniform());
    const cx = size * (0.3 + 0.4 * random.uniform());
    const r = size * (0.15 + 0.15 * random.uniform());
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = (n * size + y) * size + x;
        const inside = (y - cy) ** 2 + (x - cx) ** 2 < r * r;
        image[i] = (inside ? 1 : 0) + 0.3 * random.normal();
        label[i] = inside ? 1n : 0n;
      }
    }
  }
  return { image, label };
}

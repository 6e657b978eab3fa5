// Small networks built with whichever @mcsc/graph build the caller loaded (ESM or CJS): a trainable
// conv net for the graph check and a fixed "threshold" segmentation model for the infer checks.
'use strict';

const zeros = (shape) => new Float32Array(shape.reduce((a, b) => a * b, 1));
const values = (list) => () => Float32Array.from(list);
const uniform =
  (fanIn) =>
  ({ shape, random }) =>
    zeros(shape).map(() => (random.uniform() * 2 - 1) / Math.sqrt(fanIn));

/** conv3×3 → ReLU → conv1×1 → 2 classes; softmax cross-entropy `loss` and `probs` output. */
function trainableNet(g, graph, batch, size) {
  const { conv2d, relu, logSoftmax, softmax, oneHot, transpose, mul, neg, reduceSum } = g;
  const image = graph.input('image', [batch, 1, size, size]);
  const label = graph.input('label', [batch, size, size], 'int64');
  const h = relu(
    conv2d(image, graph.param('c1.weight', [4, 1, 3, 3], uniform(9)), graph.param('c1.bias', [4], uniform(9)), { padding: 1 }),
  );
  const logits = conv2d(h, graph.param('head.weight', [2, 4, 1, 1], uniform(4)), graph.param('head.bias', [2], uniform(4)));
  const target = transpose(oneHot(label, 2), [0, 3, 1, 2]);
  const loss = neg(mul(reduceSum(mul(logSoftmax(logits, 1), target)), 1 / (batch * size * size)));
  return { loss, outputs: { probs: softmax(logits, 1) } };
}

/** Bright squares on a dark background, label 1 on the square. */
function squares(batch, size, random) {
  const image = new Float32Array(batch * size * size);
  const label = new BigInt64Array(batch * size * size);
  for (let n = 0; n < batch; n++) {
    const y0 = Math.floor(random.uniform() * (size / 2));
    const x0 = Math.floor(random.uniform() * (size / 2));
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const inside = y >= y0 && y < y0 + size / 2 && x >= x0 && x < x0 + size / 2;
        image[(n * size + y) * size + x] = (inside ? 1 : 0) + 0.1 * random.normal();
        label[(n * size + y) * size + x] = inside ? 1n : 0n;
      }
  }
  return { image, label };
}

/**
 * ONNX bytes of a fixed segmentation model, input `image` [N, 1, size, size] → `probs` [N, 2, size, size]:
 * a 3×3 conv with an identity kernel, then a 1×1 head with logits (5 − 10x, 10x − 5), so the label
 * is exactly `x > 0.5` and anyone can predict it.
 */
async function thresholdModel(g, runtime, size) {
  const session = await g.TrainingSession.create({
    runtime,
    seed: 1,
    build: (graph) => {
      const image = graph.input('image', [1, 1, size, size]);
      const identity = g.conv2d(
        image,
        graph.param('c1.weight', [1, 1, 3, 3], values([0, 0, 0, 0, 1, 0, 0, 0, 0])),
        graph.param('c1.bias', [1], values([0])),
        { padding: 1 },
      );
      const logits = g.conv2d(
        identity,
        graph.param('head.weight', [2, 1, 1, 1], values([-10, 10])),
        graph.param('head.bias', [2], values([5, -5])),
      );
      return { outputs: { probs: g.softmax(logits, 1) } };
    },
  });
  return session.exportInference();
}

/** A [D, H, W] volume of 0/1 values (a diagonal band per slice) and the labels the threshold model gives. */
function bandVolume(d, h, w) {
  const volume = new Float32Array(d * h * w);
  for (let z = 0; z < d; z++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        volume[(z * h + y) * w + x] = Math.abs(x - y - z) <= 1 ? 1 : 0;
      }
  return { volume, expected: Uint8Array.from(volume, (v) => (v > 0.5 ? 1 : 0)) };
}

module.exports = { trainableNet, squares, thresholdModel, bandVolume };

/**
 * A UNet-shaped conv net for the engine benchmark: 4 levels (16, 32, 64, 128 channels), each level two
 * Conv3×3 → BatchNorm → LeakyReLU, MaxPool down, ConvTranspose up, skip concat, 1×1 head, softmax CE.
 */
import {
  type Graph,
  batchNorm2d,
  concat,
  conv2d,
  convTranspose2d,
  leakyRelu,
  logSoftmax,
  maxPool2d,
  mul,
  neg,
  oneHot,
  reduceSum,
  softmax,
  transpose,
  type Initializer,
  type Tensor,
} from '@mcsc/graph';

const uniform =
  (fanIn: number): Initializer =>
  ({ shape, random }) =>
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (random.uniform() * 2 - 1) / Math.sqrt(fanIn));
const fill =
  (v: number): Initializer =>
  ({ shape }) =>
    new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v);

function convBnAct(g: Graph, x: Tensor, name: string, cin: number, cout: number): Tensor {
  const y = conv2d(x, g.param(`${name}.weight`, [cout, cin, 3, 3], uniform(cin * 9)), g.param(`${name}.bias`, [cout], uniform(cin * 9)), {
    padding: 1,
  });
  const bn = {
    weight: g.param(`${name}.bn.weight`, [cout], fill(1)),
    bias: g.param(`${name}.bn.bias`, [cout], fill(0)),
    runningMean: g.state(`${name}.bn.running_mean`, [cout], fill(0)),
    runningVar: g.state(`${name}.bn.running_var`, [cout], fill(1)),
  };
  return leakyRelu(batchNorm2d(y, bn), 0.01);
}

const block = (g: Graph, x: Tensor, name: string, cin: number, cout: number) =>
  convBnAct(g, convBnAct(g, x, `${name}.0`, cin, cout), `${name}.1`, cout, cout);

export function unetLike(batch: number, size: number, classes = 4, channels = [16, 32, 64, 128]) {
  return (g: Graph) => {
    const image = g.input('image', [batch, 1, size, size]);
    const skips: Tensor[] = [];
    let x = image;
    let cin = 1;
    channels.forEach((c, i) => {
      x = block(g, i === 0 ? x : maxPool2d(x, { kernel: 2 }), `enc${i}`, cin, c);
      skips.push(x);
      cin = c;
    });
    for (let i = channels.length - 2; i >= 0; i--) {
      const c = channels[i]!;
      const up = convTranspose2d(
        x,
        g.param(`up${i}.weight`, [cin, c, 2, 2], uniform(cin * 4)),
        g.param(`up${i}.bias`, [c], uniform(cin * 4)),
        { stride: 2 },
      );
      x = block(g, concat([skips[i]!, up], 1), `dec${i}`, 2 * c, c);
      cin = c;
    }
    const logits = conv2d(x, g.param('head.weight', [classes, cin, 1, 1], uniform(cin)), g.param('head.bias', [classes], uniform(cin)));
    const label = g.input('label', [batch, size, size], 'int64');
    const target = transpose(oneHot(label, classes), [0, 3, 1, 2]);
    const loss = neg(mul(reduceSum(mul(logSoftmax(logits, 1), target)), 1 / (batch * size * size)));
    return { loss, outputs: { probs: softmax(logits, 1) } };
  };
}

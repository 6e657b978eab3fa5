/**
 * A UNet-shaped conv net for the engine benchmark: 4 levels (16, 32, 64, 128 channels), each level two
 * Conv3×3 → BatchNorm → LeakyReLU, MaxPool down, ConvTranspose up, skip concat, 1×1 head, softmax CE.
 */
import { type Graph, concat, conv2d, convTranspose2d, maxPool2d, softmax, type Tensor } from '../src/index';
import { convBn, pixelCrossEntropy, uniformInit } from '../test/tiny-net';

const block = (g: Graph, x: Tensor, name: string, cin: number, cout: number) =>
  convBn(g, convBn(g, x, `${name}.0`, cin, cout, false), `${name}.1`, cout, cout, false);

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
        g.param(`up${i}.weight`, [cin, c, 2, 2], uniformInit(cin * 4)),
        g.param(`up${i}.bias`, [c], uniformInit(cin * 4)),
        { stride: 2 },
      );
      x = block(g, concat([skips[i]!, up], 1), `dec${i}`, 2 * c, c);
      cin = c;
    }
    const logits = conv2d(
      x,
      g.param('head.weight', [classes, cin, 1, 1], uniformInit(cin)),
      g.param('head.bias', [classes], uniformInit(cin)),
    );
    const loss = pixelCrossEntropy(g, logits, batch, size, classes);
    return { loss, outputs: { probs: softmax(logits, 1) } };
  };
}

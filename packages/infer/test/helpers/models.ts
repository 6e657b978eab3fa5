/**
 * Small exported models and volumes built in-process for the tests and the benchmark: a UNet or a
 * Swin-UNet from @mcsc/train's model code with seeded random weights, exported like `mcsc export`.
 * The classifier weights are scaled up so that the class probabilities are far from ties — a trained
 * model is just as decisive — and Node and browser builds of onnxruntime, whose float rounding differs
 * in the last bits, cannot flip an argmax.
 */
import { TrainingSession, softmax, nodeRuntime } from '@mcsc/graph/node';
import { parseModelConfig, segmentationNet } from '@mcsc/train';

export interface SmallModelOptions {
  readonly arch: 'unet' | 'swin-unet';
  /** Input height and width P. */
  readonly size: number;
  readonly classes?: number;
  readonly channels?: number;
  readonly seed?: number;
  /** Factor on the classifier's weights and bias (default 1: the init as it is). */
  readonly sharpen?: number;
  /** Extra model-config fields (e.g. the paper defaults when omitted). */
  readonly config?: Record<string, unknown>;
}

/** ONNX bytes of an exported model with input `image` [N, C, P, P] and output `probs` [N, K, P, P]. */
export async function exportedModel(options: SmallModelOptions): Promise<Uint8Array> {
  const { arch, size, classes = 4, channels = 1, seed = 1, sharpen = 1 } = options;
  const small =
    arch === 'swin-unet'
      ? { imgSize: size, embedDim: 12, windowSize: 4, numHeads: [1, 2, 3, 4], depths: [1, 1, 1, 1] }
      : { channels: [4, 8, 16, 32, 64] };
  const config = parseModelConfig({ arch, numClasses: classes, inChannels: channels, ...(options.config ?? small) });
  const session = await TrainingSession.create({
    runtime: nodeRuntime(),
    build: (g) => ({ outputs: { probs: softmax(segmentationNet(g, g.input('image', [1, channels, size, size]), config).logits, 1) } }),
    seed,
  });
  if (sharpen !== 1) {
    const head = session.weights((name) => name.startsWith('classifier.'));
    for (const [name, t] of head) head.set(name, { ...t, data: Float32Array.from(t.data as Float32Array, (v) => v * sharpen) });
    session.loadWeights(head, { strict: false });
  }
  return session.exportInference();
}

/** A seeded phantom volume [D, H, W] (x fastest per slice): discs of different brightness on noise. */
export function phantomVolume(d: number, h: number, w: number, seed = 7): Float32Array {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const out = new Float32Array(d * h * w);
  for (let z = 0; z < d; z++) {
    const discs = [0, 1, 2].map(() => ({
      y: random() * h,
      x: random() * w,
      r: 2 + (random() * Math.min(h, w)) / 4,
      v: 100 + random() * 900,
    }));
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let v = 50 * random();
        for (const disc of discs) if ((y - disc.y) ** 2 + (x - disc.x) ** 2 < disc.r ** 2) v += disc.v;
        out[(z * h + y) * w + x] = v;
      }
    }
  }
  return out;
}

/**
 * Shared pieces of the model tests: parameter counts, a two-stage Swin-UNet small enough for a test,
 * and a session that trains a network with pixel cross-entropy on a seeded random batch (what the
 * end-to-end finite-difference checks differentiate).
 */
import { type Feeds, type Graph, type OptimizerConfig, Random, TrainingSession, nodeRuntime, type Tensor } from '@mcsc/graph/node';
import { pixelCrossEntropy } from '../../../graph/test/tiny-net';
import type { SwinUNetConfig } from '../../src/models/index';

/** Number of trainable values in a graph. */
export const paramCount = (g: Graph) => g.params.reduce((n, p) => n + p.size, 0);

/** A two-stage Swin-UNet (depths 2·2, heads 1·2, window 4, MLP ratio 2) on one input channel. */
export function tinySwin(size: Pick<SwinUNetConfig, 'imgSize' | 'patchSize' | 'embedDim' | 'dropPathRate'>): SwinUNetConfig {
  return { inChannels: 1, depths: [2, 2], numHeads: [1, 2], windowSize: 4, mlpRatio: 2, ...size };
}

export interface CrossEntropyCase {
  /** Batch N, image side P, classes K. */
  n: number;
  size: number;
  classes: number;
  /** Seed of the random image (N(0, 1)) and labels (uniform over K). */
  dataSeed: number;
  /** Seed of the session (parameter init, dropout). */
  seed: number;
  /** Logits [N, K, P, P] of the network on `image` [N, 1, P, P]. */
  logits: (g: Graph, image: Tensor) => Tensor;
  optimizer?: OptimizerConfig;
}

/** A session whose loss is the mean pixel cross-entropy of `logits`, and the random batch to feed it. */
export async function crossEntropySession(c: CrossEntropyCase): Promise<{ session: TrainingSession; feeds: Feeds }> {
  const { n, size, classes: k } = c;
  const pixels = n * size * size;
  const random = new Random(c.dataSeed);
  const image = Float32Array.from({ length: pixels }, () => random.normal());
  const label = BigInt64Array.from({ length: pixels }, () => BigInt(random.int(k)));
  const session = await TrainingSession.create({
    runtime: nodeRuntime(),
    build: (g) => ({ loss: pixelCrossEntropy(g, c.logits(g, g.input('image', [n, 1, size, size])), n, size, k) }),
    ...(c.optimizer ? { optimizer: c.optimizer } : {}),
    seed: c.seed,
  });
  return { session, feeds: { image, label } };
}

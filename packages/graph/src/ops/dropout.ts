/** Dropout and drop-path with masks the runtime draws each step from a seeded generator. */
import { formatShape, type Tensor } from '../tensor.js';
import { broadcastShapes } from './broadcast.js';
import { mul } from './elementwise.js';
import { McscError } from '../errors.js';

/**
 * Inverted dropout: in training graphs y = x·m/(1−p), m ~ Bernoulli(1−p) with `maskShape`
 * (default: x's shape; drop-path uses [N, 1, 1…]); identity in eval graphs. The mask is a graph
 * input that the training session fills at every step from its seeded generator, so runs are
 * reproducible from the seed. Its gradient is gy·m/(1−p), from the Mul.
 */
export function dropout(x: Tensor, p: number, maskShape: readonly number[] = x.shape): Tensor {
  if (!(p >= 0 && p < 1)) throw new McscError('Dropout', `probability must be in [0, 1), got ${p}`);
  const g = x.graph;
  if (!g.dropout || p === 0) return x;
  const shape = broadcastShapes('Dropout', x.shape, maskShape);
  if (shape.join() !== x.shape.join())
    throw new McscError('Dropout', `mask ${formatShape(maskShape)} must broadcast to ${formatShape(x.shape)}`);
  const mask = g.input(`dropout_mask_${g.randomInputs.length}`, maskShape);
  g.randomInputs.push({ tensor: mask, keepProbability: 1 - p });
  return mul(x, mul(mask, 1 / (1 - p)));
}

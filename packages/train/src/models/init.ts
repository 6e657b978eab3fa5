/**
 * PyTorch's default initialisations, seeded per parameter (the session derives each tensor's generator
 * from its seed and the parameter name, so the order of construction does not matter).
 * torch.nn.init: `kaiming_uniform_(a=√5)` gives bound = 1/√fan_in for Conv and ConvTranspose weights,
 * and their biases are uniform(±1/√fan_in); fan_in is weight.size(1)·kh·kw (so for ConvTranspose
 * weights [in, out, kh, kw] it is out·kh·kw, as PyTorch computes it).
 */
import type { Initializer, Shape } from '@mcsc/graph';

const count = (shape: Shape) => shape.reduce((a, b) => a * b, 1);

/** fan_in as torch.nn.init._calculate_fan_in_and_fan_out: dim 1 times the receptive field. */
export function fanIn(shape: Shape): number {
  return (shape[1] ?? 1) * count(shape.slice(2));
}

export function fanOut(shape: Shape): number {
  return shape[0]! * count(shape.slice(2));
}

/** uniform(−bound, bound). */
export const uniform =
  (bound: number): Initializer =>
  ({ shape, random }) =>
    Float32Array.from({ length: count(shape) }, () => (random.uniform() * 2 - 1) * bound);

/** PyTorch's default Conv/ConvTranspose weight init: kaiming_uniform_(a=√5) → bound 1/√fan_in. */
export const kaimingUniformA5: Initializer = (ctx) => uniform(1 / Math.sqrt(fanIn(ctx.shape)))(ctx);

/** PyTorch's default bias init for a layer whose weight has shape `weightShape`. */
export const fanInBias = (weightShape: Shape): Initializer => uniform(1 / Math.sqrt(fanIn(weightShape)));

/** xavier_normal_: N(0, 2/(fan_in + fan_out)). */
export const xavierNormal: Initializer = ({ shape, random }) => {
  const std = Math.sqrt(2 / (fanIn(shape) + fanOut(shape)));
  return Float32Array.from({ length: count(shape) }, () => random.normal() * std);
};

export const constant =
  (value: number): Initializer =>
  ({ shape }) =>
    new Float32Array(count(shape)).fill(value);

export const zerosInt64: Initializer = ({ shape }) => new BigInt64Array(count(shape));

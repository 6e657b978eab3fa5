/** Layers with PyTorch state_dict names: each takes the name prefix of the module it stands for. */
import { batchNorm2d, conv2d, convTranspose2d, type Graph, type Tensor } from '@mcsc/graph';
import { constant, fanInBias, kaimingUniformA5, xavierNormal, zerosInt64 } from './init.js';

export interface ConvOptions {
  kernel: number;
  padding?: number;
  stride?: number;
  bias?: boolean;
  /** Weight init; default PyTorch's (kaiming-uniform, a = √5). */
  init?: 'default' | 'xavier-normal';
}

/** nn.Conv2d → `<name>.weight` [out, in, k, k], `<name>.bias` [out]. */
export function conv(g: Graph, x: Tensor, name: string, cin: number, cout: number, opts: ConvOptions): Tensor {
  const shape = [cout, cin, opts.kernel, opts.kernel];
  const w = g.param(`${name}.weight`, shape, opts.init === 'xavier-normal' ? xavierNormal : kaimingUniformA5);
  const b = opts.bias === false ? null : g.param(`${name}.bias`, [cout], fanInBias(shape));
  return conv2d(x, w, b, { padding: opts.padding ?? 0, stride: opts.stride ?? 1 });
}

/** nn.ConvTranspose2d(cin, cout, k, stride k) → `<name>.weight` [in, out, k, k], `<name>.bias`. */
export function upConv(g: Graph, x: Tensor, name: string, cin: number, cout: number, k = 2): Tensor {
  const shape = [cin, cout, k, k];
  return convTranspose2d(x, g.param(`${name}.weight`, shape, kaimingUniformA5), g.param(`${name}.bias`, [cout], fanInBias(shape)), {
    stride: k,
  });
}

/** nn.BatchNorm2d → weight, bias, running_mean, running_var, num_batches_tracked (momentum 0.1). */
export function batchNorm(g: Graph, x: Tensor, name: string, channels: number): Tensor {
  return batchNorm2d(x, {
    weight: g.param(`${name}.weight`, [channels], constant(1)),
    bias: g.param(`${name}.bias`, [channels], constant(0)),
    runningMean: g.state(`${name}.running_mean`, [channels], constant(0)),
    runningVar: g.state(`${name}.running_var`, [channels], constant(1)),
    numBatchesTracked: g.state(`${name}.num_batches_tracked`, [], zerosInt64, 'int64'),
  });
}

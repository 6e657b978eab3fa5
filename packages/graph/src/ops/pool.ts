/** 2-D max and average pooling (NCHW). */
import { defineGradient } from '../graph.js';
import { ScatterReduction } from '../onnx/onnx-schema.js';
import { formatShape, type Tensor } from '../tensor.js';
import { convTranspose2d } from './conv.js';
import { reshape, zeros } from './shape.js';
import { McscError } from '../errors.js';

export interface Pool2dOptions {
  kernel: number | readonly [number, number];
  /** Default: the kernel size (PyTorch's default). */
  stride?: number | readonly [number, number];
  /** [ph, pw] symmetric, or one number; default 0. */
  padding?: number | readonly [number, number];
}

function resolve(op: string, x: Tensor, opts: Pool2dOptions) {
  const two = (v: number | readonly number[]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0]!, v[1]!]);
  const k = two(opts.kernel);
  const s = two(opts.stride ?? opts.kernel);
  const p = two(opts.padding ?? 0);
  const oh = Math.floor((x.shape[2]! + 2 * p[0] - k[0]) / s[0]) + 1;
  const ow = Math.floor((x.shape[3]! + 2 * p[1] - k[1]) / s[1]) + 1;
  if (x.rank !== 4 || oh <= 0 || ow <= 0 || p[0] * 2 > k[0] || p[1] * 2 > k[1]) {
    throw new McscError(op, `kernel ${k}, stride ${s}, padding ${p} do not fit input ${formatShape(x.shape)}`);
  }
  const attrs = { kernel_shape: k, strides: s, pads: [p[0], p[1], p[0], p[1]] };
  return { k, s, p, attrs, shape: [x.shape[0]!, x.shape[1]!, oh, ow] };
}

const MAX_POOL = defineGradient<Tensor>({
  name: 'MaxPool',
  op: 'MaxPool',
  grads: ['X'],
  formula: 'dx = scatter-add of gy at the arg-max Indices output (training graphs only)',
  backward: ([gy], x, node) => [
    () => {
      const g = x.graph;
      const indices = node.outputs[1];
      if (!indices) throw new McscError('MaxPool', 'gradient needs a graph built with training = true');
      const flat = g.addNode({
        op: 'ScatterElements',
        inputs: [zeros(g, [x.size]), reshape(indices, [-1]), reshape(gy!, [-1])],
        outputs: [{ shape: [x.size], dtype: 'float32' }],
        attrs: { axis: 0, reduction: ScatterReduction.ADD },
      })[0]!;
      return reshape(flat, x.shape);
    },
  ],
});

/**
 * Max pooling. In training graphs the node also returns the arg-max indices (flat over N·C·H·W, as
 * ONNX defines them); the gradient scatter-adds gy there, so it goes to one maximum per window as in
 * PyTorch. Eval graphs emit the single-output node.
 */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const { attrs, shape } = resolve('MaxPool', x, opts);
  const g = x.graph;
  const outputs = [{ shape, dtype: 'float32' as const }, ...(g.training ? [{ shape, dtype: 'int64' as const }] : [])];
  return g.addNode({
    op: 'MaxPool',
    inputs: [x],
    outputs,
    attrs,
    gradient: MAX_POOL.with(x),
  })[0]!;
}

const AVERAGE_POOL = defineGradient<{ x: Tensor; k: [number, number]; s: [number, number]; p: [number, number]; shape: number[] }>({
  name: 'AveragePool',
  op: 'AveragePool',
  grads: ['X'],
  formula: 'dx = ConvTranspose(gy, per-channel kernel of 1/(kh·kw)), count_include_pad',
  backward: ([gy], { x, k, s, p, shape }) => [
    () => {
      const c = x.shape[1]!;
      const w = x.graph.constant(new Float32Array(c * k[0] * k[1]).fill(1 / (k[0] * k[1])), [c, 1, k[0], k[1]]);
      const outPad = [0, 1].map((i) => x.shape[2 + i]! + 2 * p[i]! - (s[i]! * (shape[2 + i]! - 1) + k[i]!)) as [number, number];
      return convTranspose2d(gy!, w, null, { stride: s, padding: p, groups: c, outputPadding: outPad });
    },
  ],
});

/**
 * Average pooling; padded cells count in the average (PyTorch's default count_include_pad=True).
 * dx = ConvTranspose of gy with a per-channel kernel of 1/(kh·kw).
 */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const { k, s, p, attrs, shape } = resolve('AveragePool', x, opts);
  const g = x.graph;
  return g.addNode({
    op: 'AveragePool',
    inputs: [x],
    outputs: [{ shape, dtype: 'float32' }],
    attrs: { ...attrs, count_include_pad: 1 },
    gradient: AVERAGE_POOL.with({ x, k, s, p, shape }),
  })[0]!;
}

export const POOL_RULES = [MAX_POOL, AVERAGE_POOL];

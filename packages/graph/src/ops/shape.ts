/**
 * Shape and layout ops. Forward and gradient rule side by side; gradients are themselves shape ops.
 * Reshape, Expand and zeros live in broadcast.ts (ReduceSum's adjoint) and are re-exported here.
 */
import { defineGradient } from '../graph.js';
import { PadMode } from '../onnx/onnx-schema.js';
import { formatShape, normalizeAxis, type Tensor } from '../tensor.js';
import { reshape, zeros } from './broadcast.js';
import { McscError } from '../errors.js';

export { reshape, expand, zeros } from './broadcast.js';

const TRANSPOSE = defineGradient<{ inverse: number[] }>({
  name: 'Transpose',
  op: 'Transpose',
  grads: ['data'],
  formula: 'dx = transpose(gy, perm⁻¹)',
  backward: ([gy], { inverse }) => [() => transpose(gy!, inverse)],
});

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort().some((p, i) => p !== i)) {
    throw new McscError('Transpose', `perm ${formatShape(perm)} is not a permutation of the axes of ${formatShape(x.shape)}`);
  }
  if (perm.every((p, i) => p === i)) return x;
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return x.graph.addNode({
    op: 'Transpose',
    inputs: [x],
    outputs: [{ shape: perm.map((p) => x.shape[p]!), dtype: x.dtype }],
    attrs: { perm: [...perm] },
    gradient: TRANSPOSE.with({ inverse }),
  })[0]!;
}

export interface SliceSpec {
  axes: readonly number[];
  starts: readonly number[];
  ends: readonly number[];
  steps?: readonly number[];
}

/** Resolve ONNX Slice semantics on one axis: the first index, the step and the element count. */
function sliceAxis(dim: number, start: number, end: number, step: number) {
  if (step === 0) throw new McscError('Slice', 'step 0 is not allowed');
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clamp(s, 0, dim);
    e = clamp(e, 0, dim);
  } else {
    s = clamp(s, -1, dim - 1);
    e = clamp(e, -1, dim - 1);
  }
  const count = Math.max(0, Math.ceil((e - s) / step));
  return { first: s, step, count };
}

type SlicePlan = { axis: number; first: number; step: number; count: number }[];

const SLICE = defineGradient<{ x: Tensor; plan: SlicePlan }>({
  name: 'Slice',
  op: 'Slice',
  grads: ['data'],
  formula: 'dx = zeros(shape(x)) with gy at the sliced positions (Pad, and interleaved zeros for steps > 1)',
  backward: ([gy], { x, plan }) => [
    () => plan.reduce((acc, p) => unsliceAxis(acc, p.axis, x.shape[p.axis]!, p.first, p.step, p.count), gy!),
    null,
    null,
    null,
    null,
  ],
});

/** x[starts:ends:steps] on the given axes (ONNX Slice, negative indices and steps allowed). */
export function slice(x: Tensor, spec: SliceSpec): Tensor {
  const steps = spec.steps ?? spec.axes.map(() => 1);
  if (spec.starts.length !== spec.axes.length || spec.ends.length !== spec.axes.length || steps.length !== spec.axes.length) {
    throw new McscError('Slice', `axes, starts, ends and steps must have equal lengths on ${formatShape(x.shape)}`);
  }
  const axes = spec.axes.map((a) => normalizeAxis('Slice', a, x.rank));
  const plan = axes.map((a, i) => ({ axis: a, ...sliceAxis(x.shape[a]!, spec.starts[i]!, spec.ends[i]!, steps[i]!) }));
  const shape = [...x.shape];
  for (const p of plan) shape[p.axis] = p.count;
  if (plan.every((p) => p.step === 1 && p.first === 0 && p.count === x.shape[p.axis])) return x;
  const g = x.graph;
  return g.addNode({
    op: 'Slice',
    inputs: [x, g.ints(spec.starts), g.ints(spec.ends), g.ints(axes), g.ints(steps)],
    outputs: [{ shape, dtype: x.dtype }],
    gradient: SLICE.with({ x, plan }),
  })[0]!;
}

/** The gradient of slicing one axis: put gy's entries back at first, first+step, … of a zero tensor. */
function unsliceAxis(gy: Tensor, axis: number, dim: number, first: number, step: number, count: number): Tensor {
  if (count === 0)
    return zeros(
      gy.graph,
      gy.shape.map((d, i) => (i === axis ? dim : d)),
      gy.dtype,
    );
  if (step < 0) {
    // The taken indices, ascending, are first+(count−1)·step … first with stride |step|.
    const reversed = slice(gy, { axes: [axis], starts: [-1], ends: [-count - 1], steps: [-1] });
    return unsliceAxis(reversed, axis, dim, first + (count - 1) * step, -step, count);
  }
  let spread = gy;
  if (step > 1) {
    // Interleave step−1 zeros after each entry: [.., n, ..] → [.., n, step, ..] → [.., n·step, ..].
    const withSlot = reshape(gy, [...gy.shape.slice(0, axis + 1), 1, ...gy.shape.slice(axis + 1)]);
    const padded = pad(withSlot, padsFor(withSlot.rank, axis + 1, 0, step - 1));
    spread = reshape(padded, [...gy.shape.slice(0, axis), count * step, ...gy.shape.slice(axis + 1)]);
    spread = slice(spread, { axes: [axis], starts: [0], ends: [(count - 1) * step + 1] });
  }
  const last = first + (count - 1) * step + 1;
  return pad(spread, padsFor(spread.rank, axis, first, dim - last));
}

function padsFor(rank: number, axis: number, before: number, after: number): number[] {
  const pads = new Array<number>(2 * rank).fill(0);
  pads[axis] = before;
  pads[rank + axis] = after;
  return pads;
}

const PAD = defineGradient<{ x: Tensor; pads: readonly number[] }>({
  name: 'Pad',
  op: 'Pad',
  grads: ['data'],
  formula: 'dx = gy with the padding sliced off',
  backward: ([gy], { x, pads }) => [
    () =>
      slice(gy!, { axes: x.shape.map((_, i) => i), starts: x.shape.map((_, i) => pads[i]!), ends: x.shape.map((d, i) => pads[i]! + d) }),
    null,
    null,
  ],
});

/** Constant padding; `pads` in ONNX order [x1_begin, x2_begin, …, x1_end, x2_end, …], non-negative. */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  if (pads.length !== 2 * x.rank || pads.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new McscError('Pad', `expected ${2 * x.rank} non-negative pads for ${formatShape(x.shape)}, got ${formatShape(pads)}`);
  }
  if (pads.every((p) => p === 0)) return x;
  const shape = x.shape.map((d, i) => d + pads[i]! + pads[i + x.rank]!);
  const g = x.graph;
  return g.addNode({
    op: 'Pad',
    inputs: [x, g.ints(pads), g.scalar(value, x.dtype)],
    outputs: [{ shape, dtype: x.dtype }],
    attrs: { mode: PadMode.CONSTANT },
    gradient: PAD.with({ x, pads }),
  })[0]!;
}

const CONCAT = defineGradient<{ xs: readonly Tensor[]; axis: number; offsets: number[] }>({
  name: 'Concat',
  op: 'Concat',
  grads: ['inputs…'],
  formula: "dxᵢ = slice of gy at xᵢ's offset along the axis",
  backward: ([gy], { xs, axis, offsets }) =>
    xs.map((x, i) => () => slice(gy!, { axes: [axis], starts: [offsets[i]!], ends: [offsets[i]! + x.shape[axis]!] })),
});

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new McscError('Concat', 'no inputs');
  const first = xs[0]!;
  const a = normalizeAxis('Concat', axis, first.rank);
  for (const x of xs) {
    if (x.rank !== first.rank || x.dtype !== first.dtype || x.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new McscError('Concat', `${xs.map((t) => t.dtype + formatShape(t.shape)).join(', ')} do not agree outside axis ${a}`);
    }
  }
  if (xs.length === 1) return first;
  const shape = [...first.shape];
  shape[a] = xs.reduce((n, x) => n + x.shape[a]!, 0);
  const offsets = xs.map((_, i) => xs.slice(0, i).reduce((n, x) => n + x.shape[a]!, 0));
  return first.graph.addNode({
    op: 'Concat',
    inputs: xs,
    outputs: [{ shape, dtype: first.dtype }],
    attrs: { axis: a },
    gradient: CONCAT.with({ xs, axis: a, offsets }),
  })[0]!;
}

const SPLIT = defineGradient<number>({
  name: 'Split',
  op: 'Split',
  grads: ['input'],
  formula: 'dx = concat(gy₀, gy₁, …) along the axis (zeros for unused outputs)',
  backward: (gys, axis) => [() => concat(gys, axis), null],
});

/** Split along an axis into pieces of the given sizes. */
export function split(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
  const a = normalizeAxis('Split', axis, x.rank);
  if (sizes.reduce((n, s) => n + s, 0) !== x.shape[a] || sizes.some((s) => s <= 0)) {
    throw new McscError('Split', `sizes ${formatShape(sizes)} do not add up to dimension ${a} of ${formatShape(x.shape)}`);
  }
  return x.graph.addNode({
    op: 'Split',
    inputs: [x, x.graph.ints(sizes)],
    outputs: sizes.map((s) => ({ shape: x.shape.map((d, i) => (i === a ? s : d)), dtype: x.dtype })),
    attrs: { axis: a },
    gradient: SPLIT.with(a),
  });
}

/** Insert a size-1 axis (convenience over reshape). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + x.rank + 1 : axis;
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

export const SHAPE_RULES = [TRANSPOSE, SLICE, PAD, CONCAT, SPLIT];

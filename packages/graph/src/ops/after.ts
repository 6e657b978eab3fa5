/**
 * Ordering by data dependency, for graphs that schedule their own work (a loss that runs in chunks, a
 * backward pass that recomputes an activation or holds a weight gradient back): {@link after} makes a
 * value wait for other tensors, so every execution order (onnxruntime's default depth-first one, its
 * parallel executor, any topological order) computes it once they exist, not merely in the order a
 * runtime happens to pick. The value passes through exactly, NaN, ±∞ and −0 included.
 *
 * A float value costs one pass: x·1, the 1 computed after the dependencies (a Mul, vectorised, which
 * onnxruntime may run in x's buffer). A Reshape of x to its own shape with a computed shape input would
 * be a view, but onnxruntime's Reshape fusion merges it into neighbouring Reshapes (dropping the
 * dependency) and failed on the graph it left; a Where(true, x, …) was the first version, a copy through
 * a generic broadcasting kernel several times slower than the Mul.
 */
import { defineGradient } from '../graph.js';
import type { Tensor } from '../tensor.js';
import { McscError } from '../errors.js';
import { add } from './elementwise.js';
import { argMax } from './indexing.js';
import { reshape, slice } from './shape.js';
import { cast, stopGradient, where } from './logic.js';

/**
 * One float element, shape [1, …, 1], computed from the first element of each of `deps`: a Slice over
 * all axes each, joined by Where(true, acc, next), which passes acc on without arithmetic (NaN-safe).
 * One stopGradient on the result (`gradients` then leaves the chain alone). Two nodes per dependency;
 * the first version had five (stopGradient, Reshape to 1-D, Slice, Reshape to a scalar, Where), and a
 * Swin-UNet step has hundreds of dependencies (every checkpoint input, every held-back gradient).
 */
function elementOf(deps: readonly Tensor[]): Tensor {
  const firsts = deps.map((dep) => {
    if (dep.size === 0) throw new McscError('after', `the dependency ${dep.toString()} has no element to wait for`);
    const d = dep.rank === 0 ? reshape(dep, [1]) : dep;
    const zeros = d.shape.map(() => 0);
    const one = slice(d, { axes: d.shape.map((_, i) => i), starts: zeros, ends: d.shape.map(() => 1) });
    return dep.dtype === 'float32' ? one : cast(one, 'float32');
  });
  return stopGradient(firsts.reduce((acc, next) => where(acc.graph.scalar(1, 'bool'), acc, next)));
}

const MUL_AFTER = defineGradient({
  name: 'Mul.after',
  op: 'Mul',
  grads: ['A'],
  formula: 'y = x·1, the 1 computed after the dependencies (ops/after.ts): dx = gy',
  backward: ([gy]) => [() => gy!, null],
});

export const AFTER_RULES = [MUL_AFTER];

/**
 * x, computed after every tensor of `deps`. float32: x·1, the 1 a Where(true, 1, that element) (rule
 * `Mul.after`: x's gradient passes unchanged); int64 (indices): x + ArgMax over that one element, which
 * is x + 0 exactly. No gradient flows to the dependencies. (Only operator signatures the MCSC graphs
 * already contain, so the GPU kernel coverage of docs/gpu.md is unchanged.)
 */
export function after(x: Tensor, ...deps: Tensor[]): Tensor {
  if (deps.length === 0) throw new McscError('after', 'nothing to wait for: give at least one dependency');
  const one = elementOf(deps);
  if (x.dtype === 'int64') return add(x, argMax(reshape(one, [1]), 0));
  if (x.dtype !== 'float32') throw new McscError('after', `expected a float32 or int64 tensor, got ${x.toString()}`);
  const g = x.graph;
  const unit = where(g.scalar(1, 'bool'), g.scalar(1), reshape(one, []));
  return g.addNode({ op: 'Mul', inputs: [x, unit], outputs: [{ shape: x.shape, dtype: 'float32' }], gradient: MUL_AFTER.with() })[0]!;
}

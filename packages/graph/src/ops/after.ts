/**
 * Ordering by data dependency, for graphs that schedule their own work (a loss that runs in chunks, a
 * backward pass that recomputes an activation): {@link after} makes a value wait for another tensor, so
 * every execution order (onnxruntime's default depth-first one, its parallel executor, any topological
 * order) computes it once that tensor exists, not merely in the order a runtime happens to pick. The
 * value passes through exactly, NaN and ±∞ included: a Where with a constant true condition selects it
 * (no arithmetic), and for int64 indices an addition of an exact 0.
 */
import type { Tensor } from '../tensor.js';
import { McscError } from '../errors.js';
import { add } from './elementwise.js';
import { argMax } from './indexing.js';
import { cast, stopGradient, where } from './logic.js';
import { reshape, slice } from './shape.js';

/**
 * x, computed after `dep`. float32: Where(true, x, one element of dep), x's gradient passing unchanged
 * (the ordinary Where rule); int64 (indices): x + ArgMax(one element of dep), which is x + 0 exactly.
 * No gradient flows to `dep`. (Only operator signatures the MCSC graphs already contain, so the GPU
 * kernel coverage of docs/gpu.md is unchanged.)
 */
export function after(x: Tensor, dep: Tensor): Tensor {
  if (dep.size === 0) throw new McscError('after', `the dependency ${dep.toString()} has no element to wait for`);
  const one = slice(reshape(stopGradient(dep), [dep.size]), { axes: [0], starts: [0], ends: [1] });
  if (x.dtype === 'int64') return add(x, argMax(cast(one, 'float32'), 0)); // ArgMax over one element: 0
  if (x.dtype !== 'float32') throw new McscError('after', `expected a float32 or int64 tensor, got ${x.toString()}`);
  return where(x.graph.constant([1], [], 'bool'), x, reshape(cast(one, 'float32'), []));
}

/**
 * Reverse-mode automatic differentiation over a Graph.
 *
 * 1. Forward sweep (creation order is topological): which tensors depend on the chosen ones,
 *    stopping at stop-gradient nodes.
 * 2. Backward sweep: which tensors the loss depends on.
 * 3. Reverse walk over the nodes on both: each node's rule turns its output gradients into input
 *    gradients, built only for inputs on the path (unused branches are pruned); a tensor used twice
 *    gets the sum of its gradients (fan-out accumulation).
 * A node on the path without a gradient rule (ArgMax, comparisons, OneHot…) is an error, unless the
 * path is cut with `stopGradient`. Rules come from the one table in ops/rules.ts (`backwardOf`).
 */
import type { Node } from './graph.js';
import { formatShape, type Tensor } from './tensor.js';
import { after } from './ops/after.js';
import { add } from './ops/elementwise.js';
import { reshape, zeros } from './ops/shape.js';
import { backwardOf } from './ops/rules.js';
import { McscError } from './errors.js';

/** The tensors a node's gradient goes to: its inputs, or what a checkpoint names instead. */
const sourcesOf = (node: Node): ReadonlyArray<Tensor | null> => node.gradientInputs ?? node.inputs;

/**
 * Gradients of the scalar `loss` with respect to each tensor of `wrt`; null for a tensor the loss
 * does not depend on (PyTorch leaves its `.grad` as None, and optimizers skip it). With
 * `outputGradient` (PyTorch's `grad_outputs`), `loss` may be any float32 tensor and the result is the
 * vector-Jacobian product with that gradient, shaped like `loss`.
 */
export function gradients(loss: Tensor, wrt: readonly Tensor[], outputGradient?: Tensor): (Tensor | null)[] {
  if (outputGradient) {
    if (loss.dtype !== 'float32' || outputGradient.dtype !== 'float32' || outputGradient.size !== loss.size)
      throw new McscError('gradients', `the output gradient ${outputGradient.toString()} does not match the output ${loss.toString()}`);
  } else if (loss.size !== 1 || loss.dtype !== 'float32') {
    throw new McscError('gradients', `the loss must be a float32 scalar, got ${loss.dtype}${formatShape(loss.shape)}`);
  }
  const g = loss.graph;
  const lastNode = loss.source.kind === 'op' ? loss.source.node.id : -1;
  const nodes = g.nodes.slice(0, lastNode + 1);

  const dependent = new Set<number>(wrt.map((t) => t.id));
  for (const node of nodes) {
    if (node.stopsGradient) continue;
    if (sourcesOf(node).some((x) => x && dependent.has(x.id))) node.outputs.forEach((o) => dependent.add(o.id));
  }

  const needed = new Set<number>([loss.id]);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (node.outputs.some((o) => needed.has(o.id))) sourcesOf(node).forEach((x) => x && needed.add(x.id));
  }

  const onPath = (t: Tensor | null): t is Tensor => !!t && dependent.has(t.id) && needed.has(t.id) && t.dtype === 'float32';
  const grads = new Map<number, Tensor>([[loss.id, outputGradient ? reshape(outputGradient, loss.shape) : g.scalar(1)]]);
  // Backward nodes are built in their forward node's scope (Graph.scope), fan-out sums in the scope of
  // the tensor's producer (of the consumer for a parameter or input); nodes outside any scope take the caller's.
  const outer = g.scopePath;
  const scopeOf = (node: Node) => node.scope ?? outer;
  const accumulate = (t: Tensor, dt: Tensor) => {
    const prev = grads.get(t.id);
    grads.set(t.id, prev ? g.inScope(t.source.kind === 'op' ? scopeOf(t.source.node) : g.scopePath, () => add(prev, dt)) : dt);
  };

  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (node.stopsGradient) continue;
    // An op without a gradient (ArgMax, Greater…) whose result the loss uses, fed by a tensor being
    // differentiated: its integer or boolean output carries no gradient, so refuse rather than drop it.
    const carries = node.outputs.some((o) => dependent.has(o.id) && needed.has(o.id));
    if (!node.gradient && carries && sourcesOf(node).some(onPath)) throw notDifferentiable(node);
    if (!node.outputs.some((o) => grads.has(o.id))) continue;
    const targets = sourcesOf(node).map((x) => (onPath(x) ? x : null));
    if (targets.every((x) => x === null)) continue;
    if (!node.gradient) throw notDifferentiable(node);
    g.inScope(scopeOf(node), () => {
      const gy = node.outputs.map((o) => grads.get(o.id) ?? zeros(g, o.shape, o.dtype));
      const rules = backwardOf(node, gy);
      const dxs = targets.map((x, k) => {
        if (!x) return null;
        const rule = rules[k];
        if (!rule) throw new McscError('gradients', `${node.op} has no gradient for its input ${k} (${x.toString()})`);
        const dx = rule();
        if (dx.size !== x.size) {
          throw new McscError(
            'gradients',
            `${node.op} gave input ${k} a gradient of shape ${formatShape(dx.shape)}, expected ${formatShape(x.shape)}`,
          );
        }
        return dx;
      });
      holdBackLargest(dxs).forEach((dx, k) => dx && accumulate(targets[k]!, reshape(dx, targets[k]!.shape)));
    });
  }
  return wrt.map((t) => grads.get(t.id) ?? null);
}

/**
 * A node's input gradients leave it together: the largest (the activation's, which the backward pass
 * goes on with) waits for the smaller ones (a weight's, a bias's; `after`: x·1, the 1 computed after
 * them). Nothing but the optimizer reads a weight's gradient, so no data path would otherwise make an
 * execution order build it before the end of the backward pass, and onnxruntime's depth-first order does
 * leave most of them there, keeping each one's operands (the layer's input, its output gradient) alive
 * until then.
 */
function holdBackLargest(dxs: (Tensor | null)[]): (Tensor | null)[] {
  const built = dxs.filter((d): d is Tensor => d !== null);
  const largest = largestOf(built);
  const smaller = built.filter((d) => d !== largest && d.size < largest!.size);
  if (!largest || smaller.length === 0 || smaller.length !== built.length - 1) return dxs;
  return dxs.map((d) => (d === largest ? after(largest, ...smaller) : d));
}

/** The first of the largest tensors (by element count), undefined for none. */
export function largestOf(ts: readonly (Tensor | null)[]): Tensor | undefined {
  return ts.reduce<Tensor | undefined>((a, d) => (d && (!a || d.size > a.size) ? d : a), undefined);
}

function notDifferentiable(node: Node): Error {
  const outs = node.outputs.map((o) => o.toString()).join(', ');
  return new McscError(
    'gradients',
    `cannot differentiate through ${node.op} (output ${outs}): it has no gradient. ` +
      `If this value is meant as a constant (a pseudo label, a mask), wrap its input in stopGradient().`,
  );
}

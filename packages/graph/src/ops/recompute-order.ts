/**
 * Recomputations run one after another. A backward pass that rebuilds forward tensors (`mlp`'s hidden
 * layer, a `checkpoint`ed block) makes each rebuild wait for the gradient it serves, but two independent
 * branches (MCSC's two projection heads) would still let a scheduler rebuild both before finishing
 * either, and onnxruntime's depth-first order does. So each rebuild also waits for the gradient the
 * previous one produced, in the order autodiff builds them (the reverse of the forward pass): one
 * rebuilt set alive at a time. Only an ordering: the values are unchanged.
 */
import type { Graph } from '../graph.js';
import type { Tensor } from '../tensor.js';

const lastRebuilt = new WeakMap<Graph, Tensor>();

/** What a rebuild must wait for: `gy`, the gradient it serves, and the previous rebuild's result. */
export function rebuildDeps(gy: Tensor): Tensor[] {
  const previous = lastRebuilt.get(gy.graph);
  return previous ? [gy, previous] : [gy];
}

/** Record `done`, a gradient built from a rebuild's tensors, as what the next rebuild waits for. */
export function rebuilt(done: Tensor): Tensor {
  lastRebuilt.set(done.graph, done);
  return done;
}

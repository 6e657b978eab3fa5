/**
 * Activation checkpointing (PyTorch's `torch.utils.checkpoint`): a block of the forward pass whose
 * intermediate tensors are not kept for the backward pass but rebuilt there, from the block's inputs,
 * once the gradient of its output exists. The forward pass computes the block as usual; its result
 * passes through one Identity node whose rule (`Identity.checkpoint`) builds the block a second time
 * and differentiates that copy with the ordinary rules. So the block's memory between the forward and
 * the backward pass is its inputs alone, for the price of one more forward pass of the block, and its
 * gradients are those of the block itself (the same nodes on the same values).
 *
 * It lives beside autodiff, not in ops/, because its rule calls `gradients` (ops/rules.ts, which
 * autodiff imports, lists the rules of ops/). docs/engine.md#activation-memory says where it pays.
 */
import { defineGradient, type Node } from './graph.js';
import { gradients, largestOf } from './autodiff.js';
import { McscError } from './errors.js';
import { after } from './ops/after.js';
import { rebuildDeps, rebuilt } from './ops/recompute-order.js';
import { zeros } from './ops/shape.js';
import { registerGradientRules } from './ops/rules.js';
import type { Tensor } from './tensor.js';

/** Ops whose value would differ when rebuilt (their randomness comes from the runtime, per run). */
const RANDOM = /^(Random|Bernoulli|Dropout|Multinomial)/;

interface Checkpointed {
  readonly inputs: readonly Tensor[];
  readonly block: (inputs: Tensor[]) => Tensor;
  /** The input gradients, built once, the first time a rule asks. */
  grads?: (Tensor | null)[];
}

const CHECKPOINT = defineGradient<Checkpointed>({
  name: 'Identity.checkpoint',
  op: 'Identity',
  package: '@mcsc/graph',
  grads: ["the block's inputs"],
  formula:
    'y = block(x₁…xₙ), kept as its inputs only: dxᵢ = the gradient of block(xᵢ rebuilt after gy) at gy, through the rebuilt nodes (checkpoint.ts)',
  backward: ([gy], c, node) =>
    c.inputs.map((x, k) => (x.dtype === 'float32' ? () => rebuiltGradients(c, gy!, node)[k] ?? zeros(x.graph, x.shape) : null)),
});
registerGradientRules(CHECKPOINT);

function rebuiltGradients(c: Checkpointed, gy: Tensor, node: Node): (Tensor | null)[] {
  if (!c.grads) {
    // Every input waits for gy (`after`: one pass over each input, x·1, alive only while the block is
    // rebuilt), so no scheduler runs the rebuilt block during the forward pass.
    const deps = rebuildDeps(gy);
    const waiting = c.inputs.map((x) => after(x, ...deps));
    const y = c.block(waiting);
    const original = node.outputs[0]!;
    if (y.dtype !== original.dtype || y.shape.join() !== original.shape.join())
      throw new McscError('checkpoint', `the block gave ${y.toString()} when rebuilt, ${original.toString()} the first time`);
    c.grads = gradients(y, waiting, gy);
    const largest = largestOf(c.grads);
    if (largest) rebuilt(largest); // the others are built before it (autodiff.ts, holdBackLargest)
  }
  return c.grads;
}

/**
 * `block(inputs)`, with the block's intermediate tensors rebuilt in the backward pass instead of kept
 * (torch.utils.checkpoint). `block` must read nothing but `inputs` and constants: a parameter or an
 * activation it captures would get no gradient, so it is an error (pass it in `inputs`); it must be
 * deterministic (no dropout inside: a rebuilt mask would differ) and build the same graph each time it
 * is called (it is called twice when a gradient is taken, once otherwise). float32 inputs receive
 * gradients, int64 ones (indices) do not.
 */
export function checkpoint(inputs: readonly Tensor[], block: (inputs: Tensor[]) => Tensor): Tensor {
  if (inputs.length === 0) throw new McscError('checkpoint', 'a checkpointed block needs at least one input');
  const g = inputs[0]!.graph;
  const first = g.nodes.length;
  const y = block([...inputs]);
  const own = g.nodes.slice(first);
  const producedHere = (t: Tensor) => t.source.kind === 'op' && t.source.node.id >= first;
  if (y.dtype !== 'float32' || !producedHere(y))
    throw new McscError('checkpoint', `the block must compute a float32 tensor from its inputs, got ${y.toString()}`);
  const allowed = new Set(inputs.map((t) => t.id));
  for (const n of own) {
    if (RANDOM.test(n.op)) throw new McscError('checkpoint', `the block contains ${n.op}, which would give other values when rebuilt`);
    for (const x of n.inputs) {
      if (!x || allowed.has(x.id) || producedHere(x) || x.source.kind === 'constant') continue;
      throw new McscError(
        'checkpoint',
        `the block reads ${x.toString()}, which is neither one of its inputs nor a constant: pass it in the inputs so that it gets its gradient`,
      );
    }
  }
  return g.addNode({
    op: 'Identity',
    inputs: [y],
    outputs: [{ shape: y.shape, dtype: 'float32' }],
    gradient: CHECKPOINT.with({ inputs, block }),
    gradientInputs: inputs,
  })[0]!;
}

/**
 * Two helpers for a loss that schedules its own work (block-con.ts), built from standard ONNX ops
 * because @mcsc/graph has neither control flow (a Loop or Scan node with a body graph) nor a node
 * whose backward pass the caller writes (PyTorch's `autograd.Function`); docs/engine.md, "Contrastive
 * loss: memory and time", says what each would replace.
 *
 * - {@link after}: a tensor's value, computed only once another tensor exists. A data dependency, so
 *   every execution order (onnxruntime's default depth-first one, its priority-based one, any
 *   topological order) runs what needs the result after `dep`, not merely the order a runtime happens
 *   to pick.
 * - {@link fusedGradient}: a value whose gradient with respect to a tensor is built by the caller
 *   (e.g. chunk after chunk, recomputing each), instead of by autodiff through the value's own nodes.
 *
 * Both pass the value through exactly, whatever it holds, NaN and ±∞ included: a Where with a constant
 * true condition selects it (no arithmetic), and for int64 indices an addition of an exact 0.
 */
import {
  add,
  argMax,
  cast,
  defineGradient,
  registerGradientRules,
  reshape,
  stopGradient,
  where,
  type BoundGradient,
  type Graph,
  type Tensor,
  McscError,
} from '@mcsc/graph';

/** The first element of `t`, shape [1] (a Reshape and a Slice). */
function firstElement(t: Tensor, gradient?: BoundGradient): Tensor {
  const g = t.graph;
  return g.addNode({
    op: 'Slice',
    inputs: [reshape(t, [t.size]), g.ints([0]), g.ints([1]), g.ints([0]), g.ints([1])],
    outputs: [{ shape: [1], dtype: t.dtype }],
    ...(gradient ? { gradient } : {}),
  })[0]!;
}

const alwaysTrue = (g: Graph): Tensor => g.constant([1], [], 'bool');

/**
 * x, computed after `dep`. float32: Where(true, x, one element of dep), x's gradient passing unchanged
 * (the ordinary Where rule); int64 (indices): x + ArgMax(one element of dep), which is x + 0 exactly.
 * No gradient flows to `dep`. (The int64 form uses only operator signatures the MCSC graphs already
 * contain, so the GPU kernel coverage of docs/gpu.md is unchanged.)
 */
export function after(x: Tensor, dep: Tensor): Tensor {
  if (dep.size === 0) throw new McscError('after', `the dependency ${dep.toString()} has no element to wait for`);
  const one = firstElement(stopGradient(dep));
  if (x.dtype === 'int64') return add(x, argMax(cast(one, 'float32'), 0)); // ArgMax over one element: 0
  if (x.dtype !== 'float32') throw new McscError('after', `expected a float32 or int64 tensor, got ${x.toString()}`);
  return where(alwaysTrue(x.graph), x, reshape(cast(one, 'float32'), []));
}

/** The Where of {@link fusedGradient}: passes the output gradient to the link unchanged. */
const FUSED_LINK = defineGradient({
  name: 'Where.fusedGradient',
  package: '@mcsc/core',
  op: 'Where',
  grads: ['X', 'Y'],
  formula:
    'y = X (condition constant true; Y one element of a tensor w with a fused gradient, core graph/fused-gradient.ts): dX = gy, dY = gy, which Slice.fusedGradient turns into dw',
  backward: ([gy]) => [null, () => gy!, () => gy!],
});

/** What the Slice of {@link fusedGradient} needs; `value` and `backward` are set when the link is closed. */
interface FusedSource {
  readonly w: Tensor;
  value?: Tensor;
  backward?: (gy: Tensor) => Tensor;
}

/** The Slice of {@link fusedGradient}: d w = the caller's backward pass at the output gradient. */
const FUSED_SOURCE = defineGradient<FusedSource>({
  name: 'Slice.fusedGradient',
  package: '@mcsc/core',
  op: 'Slice',
  grads: ['data'],
  formula:
    "first element of w, linking a value to w (core graph/fused-gradient.ts): dw = backward(gy), the gradient of the value that its caller builds (not the slice's own)",
  backward: ([gy], source, node) => [
    () => {
      const { w, value, backward } = source;
      if (!value || !backward) throw new McscError('fusedGradient', `the link to ${w.toString()} was never closed with a value`);
      // The backward pass starts once the value and this slice exist, so the forward pass is over and
      // the backward pass is the last reader of w (onnxruntime's default order would otherwise run
      // whatever of the value the backward pass does not need, and this slice, last, keeping w alive).
      const dw = backward(after(after(reshape(gy!, []), value), node.outputs[0]!));
      if (dw.size !== w.size || dw.dtype !== w.dtype)
        throw new McscError('fusedGradient', `the backward pass gave ${dw.toString()} for ${w.toString()}`);
      return reshape(dw, [w.size]);
    },
    null,
    null,
    null,
    null,
  ],
});

registerGradientRules(FUSED_LINK, FUSED_SOURCE);

/**
 * `value` (a float32 scalar), whose gradient with respect to `w` is `backward(gy)` for the gradient gy
 * of the result, built only when some `gradients()` call asks for it.
 *
 * `value` must not depend on `w` other than through `stopGradient` (its own nodes carry no gradient
 * here), and `backward` returns a tensor shaped like `w`. Autodiff reaches `w` through one Where and
 * one Slice of a single element (rules `Where.fusedGradient`, `Slice.fusedGradient`), so the rest of
 * the graph (the layers that produced `w`) is differentiated as usual.
 */
export function fusedGradient(value: Tensor, w: Tensor, backward: (gy: Tensor) => Tensor): Tensor {
  return fusedGradientOf(w)(value, backward);
}

/**
 * {@link fusedGradient} in two steps: the link to `w` is made now, the value and its backward pass
 * given later. A caller whose value takes many nodes to compute opens the link first, so that in the
 * emitted node order `w`'s last reader comes before that work, not after it.
 */
export function fusedGradientOf(w: Tensor): (value: Tensor, backward: (gy: Tensor) => Tensor) => Tensor {
  if (w.dtype !== 'float32' || w.size === 0)
    throw new McscError('fusedGradient', `w must be a non-empty float32 tensor, got ${w.toString()}`);
  const source: FusedSource = { w };
  const link = reshape(firstElement(w, FUSED_SOURCE.with(source)), []);
  return (value, backward) => {
    if (value.dtype !== 'float32' || value.rank !== 0)
      throw new McscError('fusedGradient', `the value must be a float32 scalar, got ${value.toString()}`);
    if (source.value) throw new McscError('fusedGradient', `the link to ${w.toString()} is already closed`);
    source.value = value;
    source.backward = backward;
    return value.graph.addNode({
      op: 'Where',
      inputs: [alwaysTrue(value.graph), value, link],
      outputs: [{ shape: [], dtype: 'float32' }],
      gradient: FUSED_LINK.with(),
    })[0]!;
  };
}

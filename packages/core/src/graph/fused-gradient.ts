/**
 * {@link fusedGradient}, for a loss that schedules its own work (block-con.ts): a value whose gradient
 * with respect to a tensor is built by the caller (e.g. chunk after chunk, recomputing each), instead of
 * by autodiff through the value's own nodes. Built from standard ONNX ops because @mcsc/graph has no
 * node whose backward pass the caller writes (PyTorch's `autograd.Function`); docs/engine.md,
 * "Contrastive loss: memory and time", says what it would replace. The value passes through exactly: a
 * Where with a constant true condition selects it. (`after`, the data dependency that orders the
 * chunks, is @mcsc/graph's.)
 */
import { after, defineGradient, registerGradientRules, reshape, type BoundGradient, type Tensor, McscError } from '@mcsc/graph';

/** The first element of `t`, shape [1] (a Reshape and a Slice), carrying the link's rule. */
function firstElement(t: Tensor, gradient: BoundGradient): Tensor {
  const g = t.graph;
  return g.addNode({
    op: 'Slice',
    inputs: [reshape(t, [t.size]), g.ints([0]), g.ints([1]), g.ints([0]), g.ints([1])],
    outputs: [{ shape: [1], dtype: t.dtype }],
    gradient,
  })[0]!;
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
      inputs: [value.graph.scalar(1, 'bool'), value, link],
      outputs: [{ shape: [], dtype: 'float32' }],
      gradient: FUSED_LINK.with(),
    })[0]!;
  };
}

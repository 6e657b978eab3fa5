/**
 * The chunked evaluation of BlockConLoss (block-con.ts) on a point table: the G groups' features are
 * gathered once, `[G, N, C]`, and contrasted chunk after chunk, each chunk's N×N tensors gone before the
 * next chunk's exist; the feature gradient is built by hand (fused-gradient.ts) and added chunk by chunk,
 * in place, into one table-sized gradient. The order is fixed by data dependencies ({@link after}), not
 * left to the runtime's scheduler, so the live set is the same under any execution order: the gathered
 * features, the table-sized gradient, one chunk's N×N intermediates and a few floats per group, whatever
 * G (checked statically in test/graph/block-con-memory.test.ts). Two schedules for the gradient
 * (`backwardPass`, docs/engine.md "Contrastive loss: memory and time"):
 *
 * - `with-forward`: L = Σ_k fg_k·L_k / |K⁺|, and fg_k and |K⁺| depend on the labels alone, so the weight
 *   of every group's loss is known before any feature is contrasted. Each chunk's gradient for a unit
 *   output gradient, Σ_k (fg_k/|K⁺|)·dL_k/dx, is built right after its forward pass, on its tensors, and
 *   the next chunk waits for it; the backward pass only scales the sum by the real output gradient. No
 *   N×N work is done twice, but the value's nodes now include the gradient's.
 * - `recompute`: the forward pass runs alone; the gradient is built only when asked for, after it, from
 *   the last chunk (on the forward pass's tensors) to the first (each earlier chunk recomputed from the
 *   gathered features and differentiated alone).
 *
 * A loss of one chunk is differentiated on its forward pass's tensors either way (the `recompute`
 * schedule, which then recomputes nothing).
 */
import {
  concat,
  div,
  expand,
  gather,
  gradients,
  less,
  mul,
  reduceSum,
  reshape,
  slice,
  stopGradient,
  sub,
  where,
  zeros,
  add,
  after,
  type Tensor,
} from '@mcsc/graph';
import type { BlockConGraph, BlockLayout } from './block-con.js';
import { fusedGradientOf } from './fused-gradient.js';
import { groupForeground, groupSupCon, offDiagonalMask } from './supcon.js';

/**
 * The loss of the groups on the point table `table` [R, C] (differentiable; `inputs.points` index its
 * rows), labels read through `inputs.labels` from the `[B, V, H, W]` label maps. `tableKept`: the table
 * stays alive through the loss anyway (its producer's backward pass reads it, as an L2 normalisation's
 * does its output), so each chunk gathers its rows from it; otherwise every group's features are gathered
 * once, [G, N, C], and the table dies there.
 */
export function contrast(table: Tensor, labels: Tensor, layout: BlockLayout, tableKept = false): BlockConGraph {
  const { spec, inputs, chunkSizes, temperature, numClasses: k, classBalanced } = layout;
  const { groups, pointsPerGroup: n, chunkGroups } = spec;
  const channels = table.shape[1]!;
  const g = table.graph;
  const frozen = stopGradient(table); // the loss's gradient comes from the schedules below, not from these nodes
  const labelTable = reshape(stopGradient(labels), [labels.size]);
  // Every group's features, gathered once: [G, N, C]. Blocks do not overlap, so this is never larger
  // than the table, which dies here; the chunks (forward and recomputed) read their rows from it. Not
  // built when the table is kept anyway: it would be a second copy of the points.
  const gathered = tableKept && chunkSizes.length > 1 ? null : gather(frozen, inputs.points);
  const gatheredLabels = gather(labelTable, inputs.labels); // [G, N]
  const closeLink = fusedGradientOf(table); // the table's other reader, made here so that it dies here
  const offDiagonal = offDiagonalMask(g, n);
  const firstGroup = chunkSizes.map((_, i) => i * chunkGroups);
  const rows = (t: Tensor, i: number): Tensor => slice(t, { axes: [0], starts: [firstGroup[i]!], ends: [firstGroup[i]! + chunkSizes[i]!] });
  /** Chunk i: its rows of the gathered features and labels, read once `dep` exists, and its loss parts. */
  const chunk = (i: number, dep: Tensor | null) => {
    if (chunkSizes.length === 1)
      return {
        x: gathered!,
        parts: groupSupCon(gathered!, gatheredLabels, inputs.mask, temperature, k, offDiagonal, classBalanced, false),
      };
    const at = g.ints(Array.from({ length: chunkSizes[i]! }, (_, j) => firstGroup[i]! + j));
    const atAfter = dep ? after(at, dep) : at;
    const x = gathered ? gather(gathered, atAfter) : gather(frozen, dep ? after(rows(inputs.points, i), dep) : rows(inputs.points, i)); // [c, N, C]
    return { x, parts: groupSupCon(x, gather(gatheredLabels, atAfter), inputs.mask, temperature, k, offDiagonal, classBalanced, false) };
  };
  /** grad + chunk i's feature gradient for the per-group output gradients `weights` [G], in place. */
  const addChunkGradient = (grad: Tensor, i: number, c: ReturnType<typeof chunk>, weights: Tensor, dep: Tensor): Tensor => {
    const [dx] = gradients(reduceSum(mul(c.parts.losses, rows(weights, i))), [c.x]);
    // The scatter's indices wait for `dep`: they depend on the step inputs alone, so a scheduler could
    // otherwise make every chunk's at once.
    return scatterAdd(grad, after(rows(inputs.points, i), dep), reshape(dx!, [chunkSizes[i]! * n, channels]));
  };
  const join = (ts: Tensor[]): Tensor => (ts.length === 1 ? ts[0]! : concat(ts, 0));
  /** |K⁺|, at least 1 (the loss is 0 when no group has a foreground point). */
  const foregroundGroups = (foreground: Tensor): Tensor => {
    const used = reduceSum(foreground);
    return where(less(used, 1), 1, used);
  };
  const meanOverForeground = (groupLosses: Tensor, foreground: Tensor, usedSafe: Tensor): Tensor =>
    div(reduceSum(mul(groupLosses, foreground)), usedSafe);
  const outputs = (loss: Tensor, groupLosses: Tensor, foreground: Tensor, classCounts: Tensor): BlockConGraph => {
    const inverse = (t: Tensor): Tensor => where(less(t, 0.5), 0, div(1, where(less(t, 0.5), 1, t)));
    return {
      loss,
      groupLosses,
      foreground,
      classCounts,
      classWeights: inverse(classCounts),
      positiveClassWeights: inverse(sub(classCounts, 1)),
      inputs,
      spec,
    };
  };

  if (layout.backwardPass === 'with-forward' && chunkSizes.length > 1) {
    // Every group's foreground flag up front (labels and mask only), so dL/dL_k = fg_k/|K⁺| is known
    // before the first chunk; each chunk's gradient follows its forward pass, the next chunk waits for it.
    const foreground = groupForeground(gatheredLabels, inputs.mask, k);
    const usedSafe = foregroundGroups(foreground);
    const unitWeights = stopGradient(div(foreground, usedSafe));
    let grad = zeros(g, table.shape);
    const parts: ReturnType<typeof chunk>['parts'][] = [];
    for (let i = 0; i < chunkSizes.length; i++) {
      const c = chunk(i, i === 0 ? null : grad);
      parts.push(c.parts);
      grad = addChunkGradient(grad, i, c, unitWeights, c.parts.losses); // its losses are computed before the next chunk
    }
    const groupLosses = join(parts.map((p) => p.losses));
    // the value waits for the last chunk's gradient, so that nothing delays that chunk's backward pass
    const value = meanOverForeground(after(groupLosses, grad), foreground, usedSafe);
    const unitGradient = grad;
    const classCounts = join(parts.map((p) => p.counts));
    return outputs(
      closeLink(value, (gy) => mul(unitGradient, gy)),
      groupLosses,
      foreground,
      classCounts,
    );
  }

  // Forward: chunk after chunk (each waits for the previous chunk's losses).
  const forward: ReturnType<typeof chunk>[] = [];
  for (let i = 0; i < chunkSizes.length; i++) forward.push(chunk(i, i === 0 ? null : forward[i - 1]!.parts.losses));
  const parts = forward.map((f) => f.parts);
  const groupLosses = join(parts.map((p) => p.losses));
  const foreground = join(parts.map((p) => p.foreground));
  const usedSafe = foregroundGroups(foreground);
  const value = meanOverForeground(groupLosses, foreground, usedSafe);

  // Backward (built only when a gradient is asked for; it starts once the forward pass is over): chunk
  // after chunk from the last, the last one on the forward pass's own tensors, each earlier one
  // recomputed from the gathered features once the previous gradient exists, and differentiated on its
  // own; each feature gradient is added in place into one table-sized gradient.
  const backward = (gy: Tensor): Tensor => {
    // dL/dL_k = gy·fg_k / |K⁺|, as autodiff of `value` gives it (Div, ReduceSum, Mul rules, same ops).
    const weights = stopGradient(mul(expand(div(gy, usedSafe), [groups]), foreground));
    let grad = zeros(g, table.shape);
    for (let i = chunkSizes.length - 1; i >= 0; i--) {
      const last = i === chunkSizes.length - 1;
      grad = addChunkGradient(grad, i, last ? forward[i]! : chunk(i, grad), weights, last ? weights : grad);
    }
    return grad;
  };
  return outputs(closeLink(value, backward), groupLosses, foreground, join(parts.map((p) => p.counts)));
}

/**
 * data + updates at the rows `points` (ScatterElements with reduction add: onnxruntime may write into
 * `data`'s buffer, so a chain of these accumulates in place). points int64 `[c, N]`, updates `[c·N, C]`.
 */
function scatterAdd(data: Tensor, points: Tensor, updates: Tensor): Tensor {
  const [rows, channels] = updates.shape as [number, number];
  // each point's row index across its C entries (a broadcast Add of int64 zeros: an int64 Expand would
  // add an operator signature to the MCSC graphs, see docs/gpu.md)
  const indices = add(reshape(points, [rows, 1]), data.graph.constant(new BigInt64Array(channels), [1, channels], 'int64'));
  return data.graph.addNode({
    op: 'ScatterElements',
    inputs: [data, indices, updates],
    outputs: [{ shape: data.shape, dtype: data.dtype }],
    attrs: { axis: 0, reduction: 'add' },
  })[0]!;
}

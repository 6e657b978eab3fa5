/**
 * Order-0 zoom of label maps as graph ops: the 1/8-scale contrastive labels of docs/method/losses.md#cross-labels ("nearest-neighbour
 * downsampled, order-0 zoom by 28/224") computed inside the graph from labels that are themselves
 * graph values (the other network's argmax). Two Gathers with the reference's
 * `zoomSourceIndices`, so the result equals `zoomNearest` (scipy's `zoom(…, order=0)`) exactly,
 * including scipy's constant-mode edge (`edge: 'scipy'`, where a rounding overshoot writes 0).
 */
import { gather, type Tensor, where } from '@mcsc/graph';
import { invalidValue } from '../internal/errors.js';
import { type ZoomEdge, zoomSourceIndices } from '../zoom.js';
import { describe } from './supcon.js';

/**
 * @param labels int64 (or float32) `[..., H, W]`, rank ≥ 2.
 * @param size `[H', W']`, the output size of the last two axes.
 * @param edge `'scipy'` (default) or `'clamp'`, as {@link zoomNearest}.
 * @returns `[..., H', W']` of the same dtype (no gradient for int64).
 */
export function zoomLabels(labels: Tensor, size: readonly [number, number], edge: ZoomEdge = 'scipy'): Tensor {
  const fn = 'graphLosses.zoomLabels';
  if (labels === null || typeof labels !== 'object' || labels.rank < 2 || labels.dtype === 'bool') {
    throw invalidValue(fn, 'labels', 'must be an int64 or float32 tensor [..., H, W]', describe(labels));
  }
  const [outH, outW] = size;
  if (!Number.isInteger(outH) || !Number.isInteger(outW) || outH < 1 || outW < 1)
    throw invalidValue(fn, 'size', 'must be two positive integers', size);
  if (edge !== 'scipy' && edge !== 'clamp') throw invalidValue(fn, 'edge', "must be 'scipy' or 'clamp'", edge);
  const g = labels.graph;
  const [h, w] = labels.shape.slice(-2) as [number, number];
  const rows = zoomSourceIndices(h, outH, edge);
  const cols = zoomSourceIndices(w, outW, edge);
  const take = (x: Tensor, idx: Int32Array, axis: number): Tensor => gather(x, g.ints(Array.from(idx, (i) => Math.max(i, 0))), axis);
  const zoomed = take(take(labels, rows, labels.rank - 2), cols, labels.rank - 1);
  if (!rows.some((i) => i < 0) && !cols.some((i) => i < 0)) return zoomed;
  // scipy's cval: 0 wherever the row or the column fell outside.
  const inside = new Uint8Array(outH * outW);
  for (let r = 0; r < outH; r++) for (let c = 0; c < outW; c++) inside[r * outW + c] = rows[r]! >= 0 && cols[c]! >= 0 ? 1 : 0;
  return where(g.constant(inside, [outH, outW], 'bool'), zoomed, g.scalar(0, labels.dtype));
}

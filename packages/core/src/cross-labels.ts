/**
 * Labels for the cross contrastive loss (docs/method/losses.md#cross-labels).
 *
 * Features are stacked as two views per slice, view 0 = CNN, view 1 = Transformer. A labeled slice uses
 * its ground truth for both views; an unlabeled slice uses the *other* network's pseudo label: view 0
 * (CNN features) gets the Transformer's argmax, view 1 (Transformer features) gets the CNN's. At scale
 * 1/8 the label maps are downsampled by an order-0 zoom (224 → 28), as the reference does with
 * `scipy.ndimage.zoom(labels, (1, 1, 28/224, 28/224), order=0)`.
 */
import type ndarray from 'ndarray';
import { z } from 'zod';
import { parseOptions, invalidValue } from './internal/errors.js';
import { expectRank, expectRankBetween, type NumericNdArray, sizeOf, toLabels, wrap } from './internal/ndarray.js';
import { type ZoomEdge, zoomNearest, zoomOutputShape } from './zoom.js';

/**
 * @param labels `[B, H, W]` ground truth of the whole batch; only rows `< numLabeled` are read (the labels
 *   of unlabeled slices, which loaders often carry anyway, are ignored).
 * @param pseudoCnn the CNN's argmax, `[B, H, W]` (rows `< numLabeled` ignored) or `[B − numLabeled, H, W]`
 *   (the unlabeled part only, as the reference computes it).
 * @param pseudoTrans the Transformer's argmax, same shapes as `pseudoCnn`.
 * @param numLabeled B_l, the labeled slices at the head of the batch.
 * @returns int32 `[B, 2, H, W]`: `[n, 0]` and `[n, 1]` = ground truth for n < B_l; for n ≥ B_l,
 *   `[n, 0]` = pseudoTrans and `[n, 1]` = pseudoCnn.
 */
export function crossSupervisedLabels(
  labels: NumericNdArray,
  pseudoCnn: NumericNdArray,
  pseudoTrans: NumericNdArray,
  numLabeled: number,
): ndarray.NdArray<Int32Array> {
  const fn = 'crossSupervisedLabels';
  const [batch, height, width] = expectRank(fn, 'labels', labels, 3, '[B, H, W]') as [number, number, number];
  if (!Number.isInteger(numLabeled) || numLabeled < 0 || numLabeled > batch) {
    throw invalidValue(fn, 'numLabeled', `must be an integer in [0, B = ${batch}]`, numLabeled);
  }
  const unlabeled = batch - numLabeled;
  const plane = height * width;
  const pseudoRow = (field: string, p: NumericNdArray): ((n: number) => number) => {
    const [rows, h, w] = expectRank(fn, field, p, 3, '[B, H, W] or [B − numLabeled, H, W]') as [number, number, number];
    if ((rows !== batch && rows !== unlabeled) || h !== height || w !== width) {
      throw invalidValue(fn, `${field}.shape`, `must be [${batch}, ${height}, ${width}] or [${unlabeled}, ${height}, ${width}]`, p.shape);
    }
    return rows === batch ? (n) => n : (n) => n - numLabeled;
  };
  const cnnRow = pseudoRow('pseudoCnn', pseudoCnn);
  const transRow = pseudoRow('pseudoTrans', pseudoTrans);
  const gt = toLabels(fn, 'labels', labels);
  const cnn = toLabels(fn, 'pseudoCnn', pseudoCnn);
  const trans = toLabels(fn, 'pseudoTrans', pseudoTrans);

  const out = new Int32Array(batch * 2 * plane);
  for (let n = 0; n < batch; n++) {
    const view0 = out.subarray(n * 2 * plane, (n * 2 + 1) * plane);
    const view1 = out.subarray((n * 2 + 1) * plane, (n * 2 + 2) * plane);
    if (n < numLabeled) {
      view0.set(gt.subarray(n * plane, (n + 1) * plane));
      view1.set(gt.subarray(n * plane, (n + 1) * plane));
    } else {
      view0.set(trans.subarray(transRow(n) * plane, (transRow(n) + 1) * plane));
      view1.set(cnn.subarray(cnnRow(n) * plane, (cnnRow(n) + 1) * plane));
    }
  }
  return wrap(out, [batch, 2, height, width]);
}

export interface DownsampleLabelsOptions {
  /** Zoom factor of the last two axes, output size round(size·scale). Default 1/8 (224 → 28). Ignored when `size` is given. */
  scale?: number;
  /** Explicit output `[height, width]`. */
  size?: [number, number];
  /** Edge rule of {@link zoomNearest}; default `'scipy'`. */
  edge?: ZoomEdge;
}

const downsampleSchema = z.strictObject({
  scale: z.number().positive().optional(),
  size: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
  edge: z.enum(['scipy', 'clamp']).optional(),
});

/**
 * Order-0 zoom of the last two axes of a label tensor (`[..., H, W]`, rank 2…5), other axes unchanged:
 * `scipy.ndimage.zoom(labels, (1, …, 1, s, s), order=0)`.
 *
 * @returns int32 `[..., H', W']` with `H' = round(H·s)`, `W' = round(W·s)` (or `options.size`).
 */
export function downsampleLabels(labels: NumericNdArray, options?: DownsampleLabelsOptions): ndarray.NdArray<Int32Array> {
  const fn = 'downsampleLabels';
  const opts = parseOptions(fn, downsampleSchema, options);
  const shape = expectRankBetween(fn, 'labels', labels, 2, 5);
  const scale = opts.scale ?? 1 / 8;
  const lead = shape.slice(0, -2);
  const [outH, outW] = opts.size ?? (zoomOutputShape(shape.slice(-2), scale) as [number, number]);
  const outShape = [...lead, outH, outW];
  if (sizeOf(outShape) === 0) throw invalidValue(fn, 'output shape', 'must be non-empty', outShape);
  const values = toLabels(fn, 'labels', labels);
  return wrap(zoomNearest(values, shape, outShape, { edge: opts.edge ?? 'scipy' }), outShape);
}

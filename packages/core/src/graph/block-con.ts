/**
 * BlockConLoss (docs/method/losses.md#block-sampling) as graph ops: differentiable in the features, with the block shuffle and the
 * set of slices that take part fed as step inputs, so every step gets a fresh shuffle (and the
 * labeled-only phase before iteration 3000 its smaller point set) without rebuilding the graph.
 *
 *   L_block = (1/|K⁺|) Σ_{k∈K⁺} L_supcon(group k),   K⁺ = groups with an active foreground point,   0 if K⁺ = ∅.
 *
 * Step inputs (built in JS by {@link blockConFeeds} from per-image permutations via the reference
 * `blockGroupIndices`, so graph and reference gather exactly the same points in the same order):
 * - `<name>.points` int64 `[G, N]`: for group k and position p, the flat index (b·V + v)·H·W + y·W + x
 *   of the feature read there, i.e. pixel (y, x) of view v of slice b in the `[B, V, H, W]` order of the
 *   inputs. The point order is the reference's: within a group, (stacked image, row, column) with the
 *   stacked images view 0 first (n = v·B + b);
 * - `<name>.labels` int64 `[G, N]`: the flat index, in the same `[B, V, H, W]` grid, of the label that
 *   point is compared under (equal to the points for `labelOrder: 'paper'`, the published flattening
 *   for `'reference'`);
 * - `<name>.mask` float32 `[N]`: 1 for the A·V·b² positions filled by the A active slices, 0 for the
 *   padding after them. Padded positions contribute nothing (not to n_c, D_i, the positives, nor the
 *   mean's denominator), so the loss equals the reference run on the active slices alone.
 *
 * Options that fix the graph's shapes: `blockCoverage` (G_h·G_w blocks per image) and `groupsPerStep`
 * (contrast only that many groups, a fresh subset each step, instead of all of them). `classBalanced:
 * false` gives the plain SupCon denominator (the ablation).
 *
 * Memory (docs/engine.md, "Contrastive loss: memory and time"). The G groups are evaluated in chunks of
 * `chunkGroups` groups (default: as many as keep one chunk's N×N tensor within 2^24 elements, 64 MiB),
 * one chunk after the other, with a hand-built gradient added chunk by chunk into one table-sized
 * gradient: the live set is bounded whatever G. `backwardPass` chooses when each chunk's gradient is
 * built: right after its forward pass (training graphs) or after the whole forward pass, recomputing
 * the chunks (block-con-chunks.ts). Only `loss` carries a gradient; the per-group outputs are values.
 *
 * Projecting after the gather ({@link projectedBlockConLoss}). MCSC's projection heads are pointwise
 * (1×1 convolutions, ReLU, a LayerNorm over channels, L2 normalisation over channels: every pixel's
 * embedding depends on that pixel's features alone), and a step contrasts only the pixels of its G
 * groups (at the `cpu` preset 8 of 100 groups, 6 % of the pixel-views). So the loss can take each
 * view's features before its head, `[B, C_v, H, W]`, gather the sampled pixels of each view, apply the
 * head to those points only, and contrast them: the same loss and the same gradients (to float32
 * rounding: the heads' sums run in another order) for a fraction of the heads' work. The point table
 * the groups read is then the projected sampled pixels, `[V·M, C]` with M = G·B·b² per view, instead of
 * every pixel's projection `[B·V·H·W, C]`; the `points` step input indexes its rows, and a fourth step
 * input, `<name>.pixels` int64 `[V, M]`, says which pixel b·H·W + y·W + x of view v's map fills row
 * v·M + j (docs/method/losses.md#projecting-only-the-sampled-points).
 *
 * Reference: Liu et al., BMVC 2023 (arXiv 2306.14293), `utils/supcon_loss_romdom_seleted.py`.
 */
import { concat, gather, l2Normalize, reshape, slice, transpose, zeros, type Graph, type Tensor } from '@mcsc/graph';
import { invalidValue } from '../internal/errors.js';
import { type BlockCoverage, type BlockLabelOrder, blocksPerSide } from '../losses/block-sampling.js';
import { contrast } from './block-con-chunks.js';
import { checkClasses, checkTemperature, describe } from './supcon.js';

/** When the feature gradient of a loss of several chunks is built ({@link BlockConGraphOptions.backwardPass}). */
export type BlockConBackwardPass = 'with-forward' | 'recompute';

/** Elements of one chunk's N×N tensor that the default chunking stays within (64 MiB of float32). */
export const DEFAULT_CHUNK_ELEMENTS = 2 ** 24;

export interface BlockConGraphOptions {
  /** b, the block side in pixels (19 at 224×224, 14 at 28×28 in MCSC). */
  blockSize: number;
  /** K (static: the one-hot depth). */
  numClasses: number;
  /** τ. Default 0.1. */
  temperature?: number;
  /** Default `'reference'` (G = ⌊H/b⌋ − 1 per side); `'full'` uses every whole block. Fixes G, so it is a graph option. */
  blockCoverage?: BlockCoverage;
  /** Default `'paper'`; `'reference'` reproduces the published label flattening. Used by {@link blockConFeeds}. */
  labelOrder?: BlockLabelOrder;
  /** Prefix of the step-input names (default `'blockcon'`); give each scale its own, e.g. `'blockcon_1'`, `'blockcon_8'`. */
  name?: string;
  /** Default true (MCSC); false = plain SupCon denominator (w_ij = 1), the "without class balancing" ablation. */
  classBalanced?: boolean;
  /**
   * Groups contrasted per step, drawn afresh each step by {@link blockConFeeds} (a cheaper variant for
   * small machines); default all G_h·G_w groups, as the paper. Fixes the graph's G, so it is a graph option.
   */
  groupsPerStep?: number;
  /**
   * A_max, the most slices a step contrasts (default B, all of them): the graph's N is A_max·V·b² and,
   * projected, M = G·A_max·b². A phase that contrasts fewer slices (the labeled B_l before the switch to
   * all slices) gets a graph that is that much smaller instead of padding: its N×N work is (A_max/B)²
   * of the full graph's. Fixes the graph's shapes, so it is a graph option.
   */
  slices?: number;
  /** Groups per chunk; default the most that keep a chunk's N×N tensor within {@link DEFAULT_CHUNK_ELEMENTS}. */
  chunkGroups?: number;
  /**
   * When a loss of several chunks builds each chunk's feature gradient (block-con-chunks.ts; a single
   * chunk is differentiated on its forward pass's own tensors either way). `'with-forward'` (default in a
   * training graph, `new Graph({ training: true })`): right after the chunk's forward pass, on its own
   * tensors, so no N×N work is done twice, but the loss's value then costs the backward pass's work even
   * where no gradient is asked for. `'recompute'` (default otherwise): only when a gradient is asked for,
   * after the whole forward pass, every chunk but the last recomputed: the value alone costs only its
   * forward pass. Same loss and, to float32 rounding, the same gradient.
   */
  backwardPass?: BlockConBackwardPass;
  /** Use these tensors as the step inputs instead of declaring graph inputs (tests, composed graphs). */
  inputs?: BlockConInputs;
}

/** The step inputs (shapes in the module comment); `pixels` only for {@link projectedBlockConLoss}, which needs it. */
export interface BlockConInputs {
  readonly points: Tensor;
  readonly labels: Tensor;
  readonly mask: Tensor;
  readonly pixels?: Tensor;
}

/** Everything {@link blockConFeeds} needs to fill the step inputs of one graph. */
export interface BlockConSpec {
  readonly name: string;
  readonly batch: number;
  /** A_max, the most slices one step contrasts (`options.slices`, default B). */
  readonly slices: number;
  readonly views: number;
  readonly height: number;
  readonly width: number;
  readonly blockSize: number;
  readonly blockCoverage: BlockCoverage;
  readonly labelOrder: BlockLabelOrder;
  /** G_h·G_w, the blocks per image (the groups of the layout). */
  readonly blockCount: number;
  /** G, the groups in the graph: `blockCount`, or `groupsPerStep` of them drawn each step. */
  readonly groups: number;
  /** N = A_max·V·b² (the padded size; A·V·b² of them active in a step with A ≤ A_max active slices). */
  readonly pointsPerGroup: number;
  readonly chunkGroups: number;
  readonly chunks: number;
  /**
   * {@link projectedBlockConLoss} only: M = G·A_max·b², the pixels of each view gathered and projected per step
   * (the rows of view v in the projected point table are v·M … v·M + M − 1).
   */
  readonly projectedPixels?: number;
  /**
   * Graph input names of the step inputs (their tensors' names when `options.inputs` was given); `pixels`
   * only for {@link projectedBlockConLoss}.
   */
  readonly inputNames: { readonly points: string; readonly labels: string; readonly mask: string; readonly pixels?: string };
}

export interface BlockConGraph {
  /** L_block, float32 scalar. */
  readonly loss: Tensor;
  /** L_supcon of each group, float32 `[G]` (including groups that are skipped). */
  readonly groupLosses: Tensor;
  /** 1 for the groups that enter the mean (an active foreground point), else 0; float32 `[G]`. */
  readonly foreground: Tensor;
  /** n_c per group: the class prevalence behind the balanced denominator, float32 `[G, K]`. */
  readonly classCounts: Tensor;
  /** 1/n_c per group (weight of a negative of class c; 0 where n_c = 0), float32 `[G, K]`. */
  readonly classWeights: Tensor;
  /** 1/(n_c − 1) per group (weight of a positive of class c; 0 where n_c ≤ 1), float32 `[G, K]`. */
  readonly positiveClassWeights: Tensor;
  readonly inputs: BlockConInputs;
  readonly spec: BlockConSpec;
}

/**
 * @param features float32 `[B, V, C, H, W]` projected features (unit length over C), V views per slice.
 * @param labels int64 `[B, V, H, W]` class indices per view (docs/method/losses.md#cross-labels; no gradient).
 */
export function blockConLoss(features: Tensor, labels: Tensor, options: BlockConGraphOptions): BlockConGraph {
  const fn = 'graphLosses.blockConLoss';
  if (features?.dtype !== 'float32' || features.rank !== 5)
    throw invalidValue(fn, 'features', 'must be a float32 tensor [B, V, C, H, W]', describe(features));
  const [batch, views, channels, height, width] = features.shape as [number, number, number, number, number];
  checkLabels(fn, labels, [batch, views, height, width]);
  const layout = blockLayout(fn, features.graph, { batch, views, height, width }, options, false);
  if (layout.spec.groups === 0) return noGroups(layout);
  // Channel-last table of the images in the features' own order (image b·V + v): [B·V·H·W, C].
  return contrast(channelLast(reshape(features, [batch * views, channels, height, width])), labels, layout);
}

/** Projection heads applied after the gather ({@link projectedBlockConLoss}). */
export interface PointwiseProjection {
  /** Each view's features before its head, float32 `[B, C_v, H, W]` (C_v may differ between views). */
  readonly views: readonly Tensor[];
  /**
   * The head of view v on M points: float32 `[M, C_v]` → `[M, C]` (unit length over C), the same C for
   * every view. It must be pointwise: row i of the result depends on row i of `points` alone (no batch
   * statistics, nothing that mixes points); only then is the loss that of the projected feature maps.
   * Called once per view, when the loss is built (not at all when there is no group).
   */
  readonly project: (points: Tensor, view: number) => Tensor;
  /**
   * true: `project` returns rows that are not yet unit length, and the loss L2-normalises the views'
   * rows over C once they are joined into one point table (`l2Normalize`, the same per-row arithmetic).
   * The normalised table is then both what the chunks read and what the normalisation's backward pass
   * keeps, one copy of the points instead of three (each view's normalised rows, their join, every
   * group's gather). Default false.
   */
  readonly normalize?: boolean;
}

/**
 * {@link blockConLoss} of the projected features `[B, V, C, H, W]` = project_v(views[v]) pixel by pixel,
 * with each view's head applied only to the pixels this step's groups contrast (module comment,
 * "Projecting after the gather"): equal to `blockConLoss(stack of the projected maps, labels, options)`
 * in value and in every gradient (the heads' parameters and the views), for the heads' work on G·N points
 * instead of B·V·H·W. Same options, step inputs and spec, plus the `pixels` step input
 * ({@link blockConFeeds} fills it).
 *
 * @param heads the V views' un-projected features and their pointwise heads.
 * @param labels int64 `[B, V, H, W]` class indices per view (no gradient).
 */
export function projectedBlockConLoss(heads: PointwiseProjection, labels: Tensor, options: BlockConGraphOptions): BlockConGraph {
  const fn = 'graphLosses.projectedBlockConLoss';
  const maps = heads?.views;
  if (!Array.isArray(maps) || maps.length === 0) throw invalidValue(fn, 'heads.views', 'must be a non-empty array of tensors', maps);
  if (typeof heads.project !== 'function') throw invalidValue(fn, 'heads.project', 'must be a function', heads.project);
  const first = maps[0] as Tensor | undefined;
  if (first?.dtype !== 'float32' || first.rank !== 4)
    throw invalidValue(fn, 'heads.views[0]', 'must be a float32 tensor [B, C_v, H, W]', describe(first));
  const [batch, , height, width] = first.shape as [number, number, number, number];
  maps.forEach((t: Tensor | undefined, v) => {
    if (t?.dtype !== 'float32' || t.rank !== 4 || t.shape[0] !== batch || t.shape[2] !== height || t.shape[3] !== width) {
      throw invalidValue(
        fn,
        `heads.views[${v}]`,
        `must be a float32 tensor [B, C_v, H, W] = [${batch}, C_v, ${height}, ${width}]`,
        describe(t),
      );
    }
  });
  const views = maps.length;
  checkLabels(fn, labels, [batch, views, height, width]);
  const layout = blockLayout(fn, first.graph, { batch, views, height, width }, options, true);
  if (layout.spec.groups === 0) return noGroups(layout);
  // Each view's sampled pixels (its row of `pixels`, M of them) through its head, then the views'
  // projected points one after the other: the point table [V·M, C] the groups' `points` index.
  const m = layout.spec.projectedPixels!;
  let channels: number | undefined;
  const projected = maps.map((map, v) => {
    const at = reshape(slice(layout.inputs.pixels!, { axes: [0], starts: [v], ends: [v + 1] }), [m]);
    const out = heads.project(gather(channelLast(map), at), v);
    if (out?.dtype !== 'float32' || out.rank !== 2 || out.shape[0] !== m || (channels !== undefined && out.shape[1] !== channels)) {
      throw invalidValue(
        fn,
        `heads.project(points, ${v})`,
        `must return a float32 tensor [M, C] = [${m}, ${channels ?? 'C'}]`,
        describe(out),
      );
    }
    channels = out.shape[1];
    return out;
  });
  const joined = projected.length === 1 ? projected[0]! : concat(projected, 0);
  return heads.normalize ? contrast(l2Normalize(joined, 1), labels, layout, true) : contrast(joined, labels, layout);
}

/** [n, C, H, W] → its channel-last table [n·H·W, C] (moving one axis inward: onnxruntime's fast transpose path). */
function channelLast(x: Tensor): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return reshape(transpose(reshape(x, [n, c, h * w]), [0, 2, 1]), [n * h * w, c]);
}

function checkLabels(fn: string, labels: Tensor, labelShape: number[]): void {
  if (labels?.dtype !== 'int64' || labels.rank !== 4 || labels.shape.some((d, i) => d !== labelShape[i])) {
    throw invalidValue(fn, 'labels', `must be an int64 tensor [B, V, H, W] = [${labelShape.join(', ')}]`, describe(labels));
  }
}

/** The checked options, the step inputs, the spec and the chunks of one loss. */
export interface BlockLayout {
  readonly spec: BlockConSpec;
  readonly inputs: BlockConInputs;
  readonly chunkSizes: readonly number[];
  readonly temperature: number;
  readonly numClasses: number;
  readonly classBalanced: boolean;
  readonly backwardPass: BlockConBackwardPass;
}

function blockLayout(
  fn: string,
  g: Graph,
  dims: { batch: number; views: number; height: number; width: number },
  options: BlockConGraphOptions,
  projected: boolean,
): BlockLayout {
  const { batch, views, height, width } = dims;
  const b = options.blockSize;
  if (!Number.isInteger(b) || b < 1) throw invalidValue(fn, 'options.blockSize', 'must be a positive integer', b);
  checkClasses(fn, options.numClasses);
  const temperature = checkTemperature(fn, options.temperature);
  const blockCoverage = options.blockCoverage ?? 'reference';
  const labelOrder = options.labelOrder ?? 'paper';
  if (blockCoverage !== 'reference' && blockCoverage !== 'full')
    throw invalidValue(fn, 'options.blockCoverage', "must be 'reference' or 'full'", blockCoverage);
  if (labelOrder !== 'paper' && labelOrder !== 'reference')
    throw invalidValue(fn, 'options.labelOrder', "must be 'paper' or 'reference'", labelOrder);
  const name = options.name ?? 'blockcon';

  const blockCount = blocksPerSide(height, b, blockCoverage) * blocksPerSide(width, b, blockCoverage);
  const perStep = options.groupsPerStep;
  if (perStep !== undefined && (!Number.isInteger(perStep) || perStep < 1))
    throw invalidValue(fn, 'options.groupsPerStep', 'must be a positive integer', perStep);
  const groups = Math.min(perStep ?? blockCount, blockCount);
  const slices = options.slices ?? batch;
  if (!Number.isInteger(slices) || slices < 1 || slices > batch)
    throw invalidValue(fn, 'options.slices', `must be an integer in [1, B = ${batch}]`, options.slices);
  const n = slices * views * b * b;
  const asked = options.chunkGroups ?? Math.max(1, Math.floor(DEFAULT_CHUNK_ELEMENTS / (n * n)));
  if (!Number.isInteger(asked) || asked < 1)
    throw invalidValue(fn, 'options.chunkGroups', 'must be a positive integer', options.chunkGroups);
  const chunkGroups = Math.min(Math.max(groups, 1), asked);
  const pixels = projected ? groups * slices * b * b : undefined;
  const inputs = options.inputs ?? declareInputs(g, name, groups, n, pixels === undefined ? undefined : [views, pixels]);
  checkInputs(fn, inputs, groups, n, pixels === undefined ? undefined : [views, pixels]);
  const chunkSizes = Array.from({ length: Math.ceil(groups / chunkGroups) }, (_, i) => Math.min(chunkGroups, groups - i * chunkGroups));
  const inputNames = { points: inputs.points.name, labels: inputs.labels.name, mask: inputs.mask.name };
  const spec: BlockConSpec = {
    name,
    batch,
    slices,
    views,
    height,
    width,
    blockSize: b,
    blockCoverage,
    labelOrder,
    blockCount,
    groups,
    pointsPerGroup: n,
    chunkGroups,
    chunks: chunkSizes.length,
    ...(pixels === undefined ? { inputNames } : { projectedPixels: pixels, inputNames: { ...inputNames, pixels: inputs.pixels!.name } }),
  };
  const backwardPass = options.backwardPass ?? (g.training ? 'with-forward' : 'recompute');
  if (backwardPass !== 'with-forward' && backwardPass !== 'recompute')
    throw invalidValue(fn, 'options.backwardPass', "must be 'with-forward' or 'recompute'", options.backwardPass);
  return {
    spec,
    inputs,
    chunkSizes,
    temperature,
    numClasses: options.numClasses,
    classBalanced: options.classBalanced ?? true,
    backwardPass,
  };
}

/** The loss of a layout without groups (fewer blocks than one per side): 0, with empty per-group outputs. */
function noGroups({ inputs, spec, numClasses }: BlockLayout): BlockConGraph {
  const g = inputs.points.graph;
  const none = zeros(g, [0]);
  const noneK = zeros(g, [0, numClasses]);
  return {
    loss: g.scalar(0),
    groupLosses: none,
    foreground: none,
    classCounts: noneK,
    classWeights: noneK,
    positiveClassWeights: noneK,
    inputs,
    spec,
  };
}

function declareInputs(g: Graph, name: string, groups: number, n: number, pixels: [number, number] | undefined): BlockConInputs {
  return {
    points: g.input(`${name}.points`, [groups, n], 'int64'),
    labels: g.input(`${name}.labels`, [groups, n], 'int64'),
    mask: g.input(`${name}.mask`, [n], 'float32'),
    ...(pixels ? { pixels: g.input(`${name}.pixels`, pixels, 'int64') } : {}),
  };
}

function checkInputs(fn: string, inputs: BlockConInputs, groups: number, n: number, pixels: [number, number] | undefined): void {
  const want = (field: keyof BlockConInputs, dtype: string, shape: number[]): void => {
    const t = inputs[field];
    if (t?.dtype !== dtype || t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw invalidValue(
        fn,
        `options.inputs.${field}`,
        `must be ${dtype === 'int64' ? 'an' : 'a'} ${dtype} tensor [${shape.join(', ')}]`,
        describe(t),
      );
    }
  };
  want('points', 'int64', [groups, n]);
  want('labels', 'int64', [groups, n]);
  want('mask', 'float32', [n]);
  if (pixels) want('pixels', 'int64', pixels);
}

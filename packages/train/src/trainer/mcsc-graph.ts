/**
 * The joint MCSC step as one graph (docs/method/losses.md): UNet + classifier1, Swin-UNet + classifier2, the
 * projection heads, and every loss, so that one onnxruntime run does forward, backward and the AdamW
 * update of all three parameter groups.
 *
 * Inputs (training graph):
 * - `image` float32 [B, C, P, P]: the batch, its first B_l slices labeled;
 * - `label` int64 [B_l, P, P]: their ground truth;
 * - `ct_weight` float32 []: λ(t), when cross teaching is on;
 * - `contrast_weight` float32 []: the weight of L_c, when the contrastive loss is on;
 * - per contrasted scale, the block-sampling feeds of `graphLosses.blockConLoss` (`blockcon_full.*`,
 *   `blockcon_eighth.*`): the per-step block shuffle and which slices take part (the iteration-3000 switch).
 *
 * Losses (scalars reported by `step`):
 *   L_sup,n = 0.5·(CE + Dice) on the labeled part, n ∈ {cnn, trans};
 *   L_ct,cnn = Dice(softmax_cnn,u, argmax softmax_trans,u), L_ct,trans symmetric (pseudo labels without gradient);
 *   L_c = Σ_scales L_block(features [B, 2, 128, h, w], cross labels [B, 2, h, w]), each scale's projection heads
 *   applied only to the pixels its block groups sample (`graphLosses.projectedBlockConLoss`: the heads are
 *   pointwise, so this is the loss of the projected maps; docs/method/losses.md#projecting-only-the-sampled-points);
 *   L_cnn = L_sup,cnn + λ·L_ct,cnn + w·L_c;  L_trans = L_sup,trans + λ·L_ct,trans + w·L_c;  loss = L_cnn + L_trans.
 * Cross labels: view 0 (CNN features) takes the ground truth on labeled slices and the Transformer's
 * argmax on unlabeled ones; view 1 (Transformer features) the ground truth and the CNN's argmax. At 1/8
 * the label maps are order-0 zoomed inside the graph.
 *
 * When no ingredient reads unlabeled slices (supervised only, or a contrast that never switches on),
 * the graph takes only the B_l labeled slices: the same losses at a fraction of the cost.
 *
 * Evaluation graph: `image` [N, C, P, P] (dynamic N) → `probs_cnn`, `probs_trans` [N, K, P, P].
 *
 * {@link mcscGraph} is a pure function of its options: the block-sampling specs the trainer needs for
 * its per-step feeds are computed up front and returned with the build function, which has no side
 * effects (the training session calls it several times).
 */
import {
  add,
  argMax,
  concat,
  Graph,
  mul,
  reshape,
  slice,
  softmax,
  stopGradient,
  transpose,
  unsqueeze,
  type BuildFn,
  type ModelGraph,
  type ParamGroup,
  type Tensor,
  McscError,
} from '@mcsc/graph';
import { graphLosses } from '@mcsc/core';
import { projectorHeads } from '../models/projectors.js';
import { swinUnet } from '../models/swin-unet.js';
import { classifier, unet } from '../models/unet.js';
import type { SwinUNetModelConfig, UNetModelConfig } from '../models/model-config.js';
import type { TrainConfig } from './config.js';

export type ContrastScale = 'full' | 'eighth';

/** Everything the graph is built from; {@link mcscGraphOptions} derives it from a resolved config. */
export interface McscGraphOptions {
  batchSize: number;
  labeledBatchSize: number;
  patchSize: number;
  inChannels: number;
  numClasses: number;
  cnn: UNetModelConfig;
  transformer: SwinUNetModelConfig;
  projector: { hidden: number; out: number };
  crossTeaching: boolean;
  contrast: null | {
    scales: readonly ContrastScale[];
    temperature: number;
    blockSize: Readonly<Record<ContrastScale, number>>;
    blockCoverage: 'reference' | 'full';
    labelOrder: 'paper' | 'reference';
    classBalanced: boolean;
    /** Block groups contrasted per step; null = all. */
    groupsPerStep: number | null;
  };
  /** Whether any term reads unlabeled slices; false = the graph's batch is B_l. */
  usesUnlabeled: boolean;
  /**
   * A_max, the slices (from the head of the batch) a step of this graph may contrast: the graph's batch
   * (the default), or B_l for the labeled-only phase before `allSlicesFrom`, whose graph then holds only
   * the labeled slices' points (docs/method/losses.md#phases).
   */
  contrastSlices: number;
}

export function mcscGraphOptions(config: TrainConfig, data: { numClasses: number; inChannels: number }): McscGraphOptions {
  const { loss, optim, model } = config;
  const contrast = loss.contrast.enabled ? loss.contrast : null;
  const usesUnlabeled =
    optim.batchSize > optim.labeledBatchSize &&
    (loss.crossTeaching.enabled || (contrast !== null && contrast.allSlicesFrom < optim.iterations));
  return {
    batchSize: optim.batchSize,
    labeledBatchSize: optim.labeledBatchSize,
    patchSize: model.patchSize,
    inChannels: data.inChannels,
    numClasses: data.numClasses,
    cnn: { ...model.cnn, numClasses: data.numClasses, inChannels: data.inChannels },
    transformer: { ...model.transformer, numClasses: data.numClasses, inChannels: data.inChannels },
    projector: model.projector,
    crossTeaching: loss.crossTeaching.enabled && usesUnlabeled,
    contrast: contrast && {
      scales: contrast.scales,
      temperature: contrast.temperature,
      blockSize: contrast.blockSize,
      blockCoverage: contrast.blockCoverage,
      labelOrder: contrast.labelOrder,
      classBalanced: contrast.classBalanced,
      groupsPerStep: contrast.groupsPerStep,
    },
    usesUnlabeled,
    contrastSlices: usesUnlabeled ? optim.batchSize : optim.labeledBatchSize,
  };
}

/** The graph's batch: B when unlabeled slices are used, else B_l. */
export function graphBatch(o: McscGraphOptions): number {
  return o.usesUnlabeled ? o.batchSize : o.labeledBatchSize;
}

/**
 * The parameter-name prefixes of the joint graph (the reference's names, see models/), per AdamW group
 * of docs/method/optimisation.md#parameter-groups, and each network's classifier head. The optimizer
 * groups ({@link parameterGroups}), the per-network weights ({@link NETWORK_PARAMS}) and the graph's head
 * names all come from this one table.
 */
const PARAMETER_PREFIXES = {
  cnn: ['encoder.', 'decoder.', 'classifier1.'],
  trans: ['swin_unet.', 'classifier2.'],
  proj: ['projector'],
} as const satisfies Record<string, readonly string[]>;
const HEADS = { cnn: 'classifier1', trans: 'classifier2' } as const;

const hasPrefix =
  (prefixes: readonly string[]) =>
  (name: string): boolean =>
    prefixes.some((p) => name.startsWith(p));

/** The three AdamW groups of docs/method/optimisation.md#parameter-groups; parameter names are the reference's (see models/). */
export function parameterGroups(weightDecay: number): ParamGroup[] {
  return (['cnn', 'trans', 'proj'] as const).map((name) => ({ name, params: hasPrefix(PARAMETER_PREFIXES[name]), weightDecay }));
}

/** Which parameters and states of the joint graph belong to each network, and their names in a single-network model. */
export const NETWORK_PARAMS = {
  cnn: { owns: hasPrefix(PARAMETER_PREFIXES.cnn), head: `${HEADS.cnn}.` },
  trans: { owns: hasPrefix(PARAMETER_PREFIXES.trans), head: `${HEADS.trans}.` },
} as const;

export type NetworkName = keyof typeof NETWORK_PARAMS;

export interface McscGraph {
  /** Builds the training or the evaluation graph; pure (no side effects), so it may be called any number of times. */
  build: BuildFn;
  /** The block-sampling spec of each contrasted scale (empty when the contrast is off): what the step feeds are made from. */
  blockSpecs: ReadonlyMap<ContrastScale, graphLosses.BlockConSpec>;
  /** The options' `contrastSlices`: the most slices one step of this graph contrasts. */
  slices: number;
}

/** The side of the feature map contrasted at `scale`: the patch (1/1) or the patch / 8. */
const featureSide = (o: McscGraphOptions, scale: ContrastScale): number => (scale === 'full' ? o.patchSize : o.patchSize / 8);

/** The block contrastive loss's options at `scale`, from the graph options and their contrast settings. */
export function blockOptions(
  o: McscGraphOptions,
  c: NonNullable<McscGraphOptions['contrast']>,
  scale: ContrastScale,
): graphLosses.BlockConGraphOptions {
  return {
    blockSize: c.blockSize[scale],
    numClasses: o.numClasses,
    temperature: c.temperature,
    blockCoverage: c.blockCoverage,
    labelOrder: c.labelOrder,
    classBalanced: c.classBalanced,
    ...(c.groupsPerStep !== null ? { groupsPerStep: c.groupsPerStep } : {}),
    slices: o.contrastSlices,
    name: `blockcon_${scale}`,
  };
}

/**
 * The block specs of the training graph, from the options alone: each scale's loss is laid out on a
 * scratch graph over stand-in views of the training graph's shapes ([B, out, side, side], identity
 * heads), so the spec is @mcsc/core's own, not a copy of its arithmetic.
 */
function blockSpecsOf(o: McscGraphOptions): Map<ContrastScale, graphLosses.BlockConSpec> {
  const specs = new Map<ContrastScale, graphLosses.BlockConSpec>();
  if (!o.contrast) return specs;
  const batch = graphBatch(o);
  for (const scale of o.contrast.scales) {
    const g = new Graph({ training: true });
    const side = featureSide(o, scale);
    const views = [0, 1].map((v) => g.input(`view${v}`, [batch, o.projector.out, side, side]));
    const labels = g.input('labels', [batch, 2, side, side], 'int64');
    const heads = { views, project: (points: Tensor) => points };
    specs.set(scale, graphLosses.projectedBlockConLoss(heads, labels, blockOptions(o, o.contrast, scale)).spec);
  }
  return specs;
}

/**
 * The `Graph.scope` of each part of the joint graph; the training session adds `optimizer` (parameter
 * packing and the AdamW update). The contrastive scales are top-level scopes (not under `losses`).
 */
export const SCOPES = {
  cnn: 'unet',
  trans: 'swin-unet',
  losses: 'losses',
  contrast: { full: 'contrast.full', eighth: 'contrast.eighth' },
} as const satisfies { cnn: string; trans: string; losses: string; contrast: Record<ContrastScale, string> };

export function mcscGraph(o: McscGraphOptions): McscGraph {
  const blockSpecs = blockSpecsOf(o);
  const build: BuildFn = (g: Graph) => {
    const batch = g.training ? graphBatch(o) : 1;
    const image = g.input('image', [batch, o.inChannels, o.patchSize, o.patchSize]);
    // Scopes name the nodes of each part (Graph.scope), so onnxruntime's profile of a step can be summed
    // per part: bench/step-profile.bench.ts, docs/engine.md#profile-of-the-mcsc-step.
    // (Built in the order of the graph before scopes: node order is what onnxruntime's schedule follows.)
    const cnnFeatures = g.scope(SCOPES.cnn, () => unet(g, image, o.cnn));
    const cnnLogits = g.scope(SCOPES.cnn, () => classifier(g, cnnFeatures[3]!, o.numClasses, HEADS.cnn));
    const transFeatures = g.scope(SCOPES.trans, () => swinUnet(g, image, o.transformer));
    const transLogits = g.scope(SCOPES.trans, () => classifier(g, transFeatures[3]!, o.numClasses, HEADS.trans));
    const cnn = { features: cnnFeatures, logits: cnnLogits, probs: g.scope(SCOPES.cnn, () => softmax(cnnLogits, 1)) };
    const trans = { features: transFeatures, logits: transLogits, probs: g.scope(SCOPES.trans, () => softmax(transLogits, 1)) };
    const outputs = { probs_cnn: cnn.probs, probs_trans: trans.probs };
    if (!g.training) return { outputs };
    return g.scope(SCOPES.losses, () => trainingLosses(g, o, blockSpecs, cnn, trans, outputs));
  };
  return { build, blockSpecs, slices: o.contrastSlices };
}

/** The feature maps a scale's projectors read: 1/1 both decoders' last maps, 1/8 the UNet's x5 and the Swin-UNet's bottleneck tokens. */
function contrastInputs(
  scale: ContrastScale,
  cnnFeatures: readonly Tensor[],
  transFeatures: readonly Tensor[],
): { cnn: Tensor; trans: Tensor } {
  return scale === 'full' ? { cnn: cnnFeatures[3]!, trans: transFeatures[3]! } : { cnn: cnnFeatures[0]!, trans: transFeatures[1]! };
}

/**
 * One contrasted scale, in its scope ({@link SCOPES}; inside it `projector` and `loss`): the block
 * contrastive loss on the cross labels [B, 2, P, P] (order-0 zoomed inside at 1/8) of both networks'
 * features ({@link contrastInputs}; the 1/8 Transformer tokens as their [B, 2C, side, side] map), the
 * scale's projection heads applied to the sampled points only (`graphLosses.projectedBlockConLoss`;
 * the heads' nodes, forward and backward, in `projector`).
 */
function contrastTerm(
  g: Graph,
  o: McscGraphOptions,
  scale: ContrastScale,
  features: { cnn: Tensor; trans: Tensor },
  labels: Tensor,
): graphLosses.BlockConGraph {
  const c = o.contrast;
  if (!c) throw new McscError('contrastTerm', 'the options have no contrast');
  const scope = SCOPES.contrast[scale];
  return g.inScope(scope, () => {
    const transChannels = scale === 'full' ? features.trans.shape[1]! : features.trans.shape[2]!;
    // the heads' rows un-normalised: the loss normalises the joined point table (one copy of the points)
    const heads = projectorHeads(g, scale, [features.cnn.shape[1]!, transChannels], o.projector, false);
    const project = (points: Tensor, view: number) => g.inScope(`${scope}/projector`, () => heads(points, view));
    return g.scope('loss', () => {
      const side = features.cnn.shape[2]!;
      const trans = scale === 'full' ? features.trans : reshape(transpose(features.trans, [0, 2, 1]), [-1, transChannels, side, side]);
      const scaleLabels = scale === 'full' ? labels : graphLosses.zoomLabels(labels, [side, side]);
      return graphLosses.projectedBlockConLoss(
        { views: [features.cnn, trans], project, normalize: true },
        scaleLabels,
        blockOptions(o, c, scale),
      );
    });
  });
}

interface NetworkOutputs {
  features: Tensor[];
  logits: Tensor;
  probs: Tensor;
}

/** The supervised, cross-teaching and contrastive terms of the training graph (see the module comment). */
function trainingLosses(
  g: Graph,
  o: McscGraphOptions,
  blockSpecs: ReadonlyMap<ContrastScale, graphLosses.BlockConSpec>,
  cnn: NetworkOutputs,
  trans: NetworkOutputs,
  outputs: Record<string, Tensor>,
): ModelGraph {
  const batch = graphBatch(o);
  const cnnFeatures = cnn.features;
  const transFeatures = trans.features;
  const probsCnn = cnn.probs;
  const probsTrans = trans.probs;
  const cnnLogits = cnn.logits;
  const transLogits = trans.logits;

  const bl = o.labeledBatchSize;
  const label = g.input('label', [bl, o.patchSize, o.patchSize], 'int64');
  const head = (x: Tensor) => (batch === bl ? x : slice(x, { axes: [0], starts: [0], ends: [bl] }));
  const tail = (x: Tensor) => slice(x, { axes: [0], starts: [bl], ends: [batch] });
  const supervised = (logits: Tensor, probs: Tensor) => {
    const ce = graphLosses.crossEntropy(head(logits), label);
    const dice = graphLosses.diceLoss(head(probs), label, o.numClasses);
    return { ce, dice, loss: mul(add(ce, dice), 0.5) };
  };
  const supCnn = supervised(cnnLogits, probsCnn);
  const supTrans = supervised(transLogits, probsTrans);
  const scalars: Record<string, Tensor> = {
    sup_cnn: supCnn.loss,
    sup_trans: supTrans.loss,
    ce_cnn: supCnn.ce,
    dice_cnn: supCnn.dice,
    ce_trans: supTrans.ce,
    dice_trans: supTrans.dice,
  };
  let lossCnn = supCnn.loss;
  let lossTrans = supTrans.loss;

  // Pseudo labels: argmax of each network's softmax, no gradient.
  const pseudoCnn = argMax(stopGradient(probsCnn), 1);
  const pseudoTrans = argMax(stopGradient(probsTrans), 1);
  if (o.crossTeaching) {
    const lambda = g.input('ct_weight', []);
    const ctCnn = graphLosses.diceLoss(tail(probsCnn), tail(pseudoTrans), o.numClasses);
    const ctTrans = graphLosses.diceLoss(tail(probsTrans), tail(pseudoCnn), o.numClasses);
    scalars.ct_cnn = ctCnn;
    scalars.ct_trans = ctTrans;
    lossCnn = add(lossCnn, mul(lambda, ctCnn));
    lossTrans = add(lossTrans, mul(lambda, ctTrans));
  }

  if (o.contrast) {
    const c = o.contrast;
    const weight = g.input('contrast_weight', []);
    // Cross labels [B, 2, P, P]: view 0 (CNN) ← GT | Transformer's argmax; view 1 (Transformer) ← GT | CNN's argmax.
    const view = (pseudo: Tensor) => (batch === bl ? label : concat([label, tail(pseudo)], 0));
    const labels = concat([unsqueeze(view(pseudoTrans), 1), unsqueeze(view(pseudoCnn), 1)], 1);
    const parts: Tensor[] = [];
    for (const scale of c.scales) {
      const block = contrastTerm(g, o, scale, contrastInputs(scale, cnnFeatures, transFeatures), labels);
      if (JSON.stringify(block.spec) !== JSON.stringify(blockSpecs.get(scale))) {
        throw new McscError(
          'mcscGraph',
          `the ${scale} block loss was laid out as ${JSON.stringify(block.spec)}, not as its precomputed spec ${JSON.stringify(blockSpecs.get(scale))}`,
        );
      }
      scalars[`con_${scale}`] = block.loss;
      parts.push(block.loss);
    }
    const contrastive = parts.length === 1 ? parts[0]! : add(parts[0]!, parts[1]!);
    scalars.con = contrastive;
    const weighted = mul(weight, contrastive);
    lossCnn = add(lossCnn, weighted);
    lossTrans = add(lossTrans, weighted);
  }
  scalars.loss_cnn = lossCnn;
  scalars.loss_trans = lossTrans;
  return { loss: add(lossCnn, lossTrans), scalars, outputs };
}

/**
 * The settings of a run that follow from its resolved config and its data, computed in one place: the
 * data's shape (K classes, C image channels), the two networks' model configs, the joint graph's
 * options and batch, the AdamW groups, the onnxruntime options and the evaluation options. The trainer,
 * the final test, `mcsc evaluate`, the benches and the tests read them from {@link runSettings}.
 */
import type { NodeRuntimeOptions, OptimizerConfig } from '@mcsc/graph/node';
import type { SwinUNetModelConfig, UNetModelConfig } from '../models/model-config.js';
import type { SegmentationDataset } from '../data/types.js';
import type { TrainConfig } from './config.js';
import type { EvaluationOptions } from './evaluate.js';
import { graphBatch, mcscGraphOptions, parameterGroups, type McscGraphOptions } from './mcsc-graph.js';

/** Image channels of every data set: the loaders produce single-channel slices [H, W] and volumes [D, H, W]. */
export const IMAGE_CHANNELS = 1;

/** What a run takes from its data. */
export interface DataShape {
  /** K, background included. */
  readonly numClasses: number;
  /** C, image channels. */
  readonly inChannels: number;
  /** K names, background first. */
  readonly classNames: readonly string[];
}

export function dataShape(dataset: Pick<SegmentationDataset, 'numClasses' | 'classNames'>): DataShape {
  return { numClasses: dataset.numClasses, inChannels: IMAGE_CHANNELS, classNames: dataset.classNames };
}

export interface RunSettings {
  readonly data: DataShape;
  /** Options of the joint training / evaluation graph (mcsc-graph.ts). */
  readonly graph: McscGraphOptions;
  /** The graph's batch: B, or B_l when no term reads unlabeled slices. */
  readonly batch: number;
  /** Each network as a single-network model (K and C from the data): the exported inference models. */
  readonly networks: { readonly cnn: UNetModelConfig; readonly trans: SwinUNetModelConfig };
  /** AdamW with the three parameter groups of docs/method/optimisation.md#parameter-groups. */
  readonly optimizer: OptimizerConfig;
  readonly runtime: NodeRuntimeOptions;
  /** Validation and testing (evaluate.ts). */
  readonly evaluation: EvaluationOptions;
}

export function runSettings(config: TrainConfig, data: DataShape): RunSettings {
  const graph = mcscGraphOptions(config, data);
  return {
    data,
    graph,
    batch: graphBatch(graph),
    networks: { cnn: graph.cnn, trans: graph.transformer },
    optimizer: { kind: 'adamw', betas: config.optim.betas, eps: config.optim.eps, groups: parameterGroups(config.optim.weightDecay) },
    runtime: runtimeOptions(config.runtime),
    evaluation: {
      patchSize: config.model.patchSize,
      numClasses: data.numClasses,
      classNames: data.classNames,
      batch: config.run.evalBatch,
      spacing: config.run.spacing,
      emptyClass: config.run.emptyClass,
    },
  };
}

/**
 * onnxruntime's options from the config's `runtime` (execution mode default sequential); intra-op
 * threads `threads`, else nodeRuntime's default (one per core).
 */
function runtimeOptions(r: TrainConfig['runtime']): NodeRuntimeOptions {
  return {
    device: r.device,
    ...(r.threads !== undefined ? { threads: r.threads } : {}),
    executionMode: r.executionMode,
    ...(r.interOpThreads !== undefined ? { interOpThreads: r.interOpThreads } : {}),
    enableMemPattern: r.memPattern,
    enableCpuMemArena: r.cpuMemArena,
  };
}

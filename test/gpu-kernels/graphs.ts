/**
 * The graphs whose operators test/gpu-kernels checks, built without running anything: the inference
 * graphs of the UNet and the Swin-UNet (as `mcsc export` writes them), the joint MCSC eval graph, and the
 * whole training step (forward, backward, AdamW update) of the joint MCSC graph and of the tiny test
 * net, built by the same function `TrainingSession.create` uses (packages/graph/src/training-step.ts).
 */
import {
  emitModel,
  Graph,
  softmax,
  TrainingSession,
  type BuildFn,
  type GraphRuntime,
  type OptimizerConfig,
  type Tensor,
} from '@mcsc/graph';
import { buildTrainingStep } from '../../packages/graph/src/training-step';
import { tinyNet } from '../../packages/graph/test/tiny-net';
import { parseModelConfig } from '../../packages/train/src/models/model-config';
import { segmentationNet } from '../../packages/train/src/models/segmentation-net';
import { mcscGraph, mcscGraphOptions, parameterGroups } from '../../packages/train/src/trainer/mcsc-graph';
import { tinyConfig } from '../../packages/train/test/trainer/tiny';

export interface NamedGraph {
  /** Short name, used in messages and docs/gpu.md. */
  readonly name: string;
  readonly description: string;
  readonly graph: Graph;
  readonly outputs: Readonly<Record<string, Tensor>>;
  /** For a training step: what TrainingSession.create builds it from. */
  readonly session?: { readonly build: BuildFn; readonly optimizer: OptimizerConfig };
}

/** The training-step graph and its outputs, built as `TrainingSession.create` builds them. */
export function trainingStepGraph(build: BuildFn, optimizer: OptimizerConfig): { graph: Graph; outputs: Record<string, Tensor> } {
  const { graph, outputs } = buildTrainingStep(build, optimizer);
  return { graph, outputs };
}

/**
 * The bytes of the training model `TrainingSession.create` compiles, captured by a runtime that runs
 * nothing: lets the test prove that `trainingStepGraph` is the session's graph (same ONNX bytes).
 */
export async function sessionTrainingModel(build: BuildFn, optimizer: OptimizerConfig): Promise<Uint8Array> {
  const models: Uint8Array[] = [];
  const runtime: GraphRuntime = {
    description: 'capture (runs nothing)',
    device: 'cpu',
    async createSession(model) {
      models.push(model);
      return { inputs: [], outputs: [], run: () => Promise.reject(new Error('capture runtime: nothing runs')), release: async () => {} };
    },
  };
  await TrainingSession.create({ build, optimizer, runtime });
  if (models.length !== 1) throw new Error(`sessionTrainingModel: expected one compiled model, got ${models.length}`);
  return models[0]!;
}

/** The inference graph `mcsc export` writes for a single network: image [1, 1, P, P] → probs. */
function inferenceGraph(config: Record<string, unknown>, size: number): { graph: Graph; outputs: Record<string, Tensor> } {
  const model = parseModelConfig({ numClasses: 4, inChannels: 1, ...config });
  const graph = new Graph({ training: false });
  const probs = softmax(segmentationNet(graph, graph.input('image', [1, 1, size, size]), model).logits, 1);
  return { graph, outputs: { probs } };
}

export const MCSC_DATA = { numClasses: 4, inChannels: 1 };

/** The AdamW of the trainer (packages/train/src/trainer/trainer.ts) for a trainer config. */
export function trainerOptimizer(config = tinyConfig()): OptimizerConfig {
  return { kind: 'adamw', betas: config.optim.betas, eps: config.optim.eps, groups: parameterGroups(config.optim.weightDecay) };
}

export const TINY_NET_OPTIMIZER: OptimizerConfig = { kind: 'adamw', groups: [{ name: 'all', params: () => true }] };
export const tinyNetBuild = (): BuildFn => tinyNet({ batch: 4, size: 16 });
export const mcscBuild = (): BuildFn => mcscGraph(mcscGraphOptions(tinyConfig(), MCSC_DATA)).build;

let cached: NamedGraph[] | undefined;

/** Every graph the test checks (built once per process). Small configs: the op set does not depend on widths or sizes. */
export function checkedGraphs(): readonly NamedGraph[] {
  cached ??= buildGraphs();
  return cached;
}

function buildGraphs(): NamedGraph[] {
  const unet = inferenceGraph({ arch: 'unet', channels: [4, 8, 16, 32, 64] }, 32);
  const swin = inferenceGraph(
    { arch: 'swin-unet', imgSize: 64, embedDim: 12, windowSize: 4, numHeads: [1, 2, 3, 4], depths: [1, 1, 1, 1] },
    64,
  );
  const mcscEval = new Graph({ training: false });
  const mcscEvalOutputs = mcscBuild()(mcscEval).outputs!;
  const mcscSession = { build: mcscBuild(), optimizer: trainerOptimizer() };
  const tinySession = { build: tinyNetBuild(), optimizer: TINY_NET_OPTIMIZER };
  const mcscTrain = trainingStepGraph(mcscSession.build, mcscSession.optimizer);
  const tinyTrain = trainingStepGraph(tinySession.build, tinySession.optimizer);
  return [
    { name: 'unet-inference', description: 'UNet inference model (eval mode, softmax probabilities), as `mcsc export` writes it', ...unet },
    {
      name: 'swin-unet-inference',
      description: 'Swin-UNet inference model (eval mode, softmax probabilities), as `mcsc export` writes it',
      ...swin,
    },
    {
      name: 'mcsc-eval',
      description: "joint MCSC eval graph (both networks' probabilities; what validation runs)",
      graph: mcscEval,
      outputs: mcscEvalOutputs,
    },
    {
      name: 'mcsc-training-step',
      description: 'joint MCSC training step: UNet + Swin-UNet + projectors, all losses, autodiff, AdamW (3 groups)',
      ...mcscTrain,
      session: mcscSession,
    },
    {
      name: 'tiny-net-training-step',
      description: 'the tiny test net of packages/graph/test/tiny-net.ts: training step with AdamW',
      ...tinyTrain,
      session: tinySession,
    },
  ];
}

/** `emitModel` bytes of a training step, with the options `TrainingSession` compiles it with. */
export function emitTrainingStep(step: { readonly graph: Graph; readonly outputs: Readonly<Record<string, Tensor>> }): Uint8Array {
  return emitModel(step.graph, { outputs: step.outputs, dynamicBatch: false }).bytes;
}

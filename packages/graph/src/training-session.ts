/**
 * The public surface of a training session, in the manner of onnxruntime's js/common `InferenceSession`:
 * the interface `TrainingSession` says what a session does, and the value `TrainingSession` holds
 * `create`, the one way to make one. The implementation is training-session-impl.ts (not exported);
 * feeds are checked in session-feeds.ts, weights and state files are session-weights.ts and io.ts.
 */
import type { Graph } from './graph.js';
import type { OptimizerConfig } from './optim.js';
import type { GraphRuntime, RuntimeTensor } from './runtime/runtime.js';
import type { NamedTensor } from './safetensors.js';
import type { Feeds } from './session-feeds.js';
import type { LoadWeightsOptions, LoadWeightsReport } from './session-weights.js';
import type { Tensor } from './tensor.js';
import { TrainingSessionImpl } from './training-session-impl.js';

/** What a model-building function returns. It is called once per graph (training, eval, gradients) and must be pure. */
export interface ModelGraph {
  /** The scalar that `step` minimises. */
  loss?: Tensor;
  /** Named scalars that `step` reports (loss parts, metrics). */
  scalars?: Record<string, Tensor>;
  /** Tensors that `evaluate` returns and the exported inference model outputs. */
  outputs?: Record<string, Tensor>;
}

/** Builds the model on a graph; see {@link ModelGraph}. */
export type BuildFn = (g: Graph) => ModelGraph;

export interface TrainingSessionOptions {
  build: BuildFn;
  /** Where graphs run: `nodeRuntime()` from '@mcsc/graph/node' or `await webRuntime()` from '@mcsc/graph/web'. */
  runtime: GraphRuntime;
  /** Required for `step`; a session without one (or whose build returns no loss) evaluates and exports only. */
  optimizer?: OptimizerConfig;
  /** Seeds parameter initialisation (per parameter name) and the dropout masks; default 0. */
  seed?: number;
  /**
   * Most values in one packed parameter vector (a larger group is packed in several; packing.ts);
   * default 4 Mi (16 MiB). Changes speed and memory, not values or the training-state format.
   */
  maxPackedValues?: number;
}

/** Per-step hyper-parameters: one number for every group, or one per group name. */
export interface StepHyperParameters {
  lr: number | Readonly<Record<string, number>>;
  weightDecay?: number | Readonly<Record<string, number>>;
}

/**
 * A training session: the training graph (forward + backward + optimizer update) and the eval graph,
 * built once by {@link TrainingSession.create} and run on a {@link GraphRuntime}; the session holds the
 * parameters, running statistics and optimizer moments and feeds them to every run.
 */
export interface TrainingSession {
  /** Number of optimizer steps taken (restored by `importState`). */
  readonly stepCount: number;

  /** Names of the trainable parameters, in creation order. */
  readonly parameterNames: string[];

  /** Number of trainable parameter values. */
  readonly parameterCount: number;

  /** Node counts of the forward (eval) graph and of the whole training step graph. */
  graphStats(): { forwardNodes: number; trainingNodes: number };

  /**
   * One optimizer step: forward, backward and update in one runtime call. Returns the scalars (`loss`
   * and the build's `scalars`). Throws if the session has no loss and optimizer.
   */
  step(feeds: Feeds, hyper: StepHyperParameters): Promise<Record<string, number>>;

  /** Runs the eval graph (running statistics, no dropout) at any batch size; returns the build's `outputs`. */
  evaluate(feeds: Feeds): Promise<Record<string, RuntimeTensor>>;

  /**
   * The loss and the gradient of every parameter, without updating anything: BatchNorm in training
   * mode, dropout off (what `mcsc grad` reports for parity checks against PyTorch).
   */
  computeGradients(feeds: Feeds): Promise<{ loss: number; grads: Map<string, Float32Array> }>;

  /** The inference model as ONNX bytes: eval mode, current weights baked in, batch dimension dynamic; all outputs or those named. */
  exportInference(outputs?: readonly string[]): Uint8Array;

  /**
   * Parameters and running statistics by reference name — a PyTorch state_dict without optimizer
   * state — optionally only those whose name passes `filter`. The arrays are the session's own: copy
   * before changing them, and give changes back through `loadWeights`.
   */
  weights(filter?: (name: string) => boolean): Map<string, NamedTensor>;

  /**
   * Loads weights by name (`weights()` of another session, `decodeSafetensors(bytes).tensors`). Strict by
   * default: every parameter and state must be given with its shape and no unknown name may appear,
   * except those matched by `ignore`; all problems are reported in one error and nothing is changed.
   */
  loadWeights(tensors: ReadonlyMap<string, NamedTensor>, options?: LoadWeightsOptions): LoadWeightsReport;

  /** Everything needed to continue training (parameters, states, moments, step count, dropout RNG) as safetensors bytes. */
  exportState(metadata?: Record<string, string>): Uint8Array;

  /** Restores `exportState` bytes; every tensor must match this session's names and shapes. Returns the metadata. */
  importState(bytes: Uint8Array, source?: string): Record<string, string>;

  /** Releases the runtime sessions; the session is not to be used afterwards. */
  release(): Promise<void>;
}

export interface TrainingSessionFactory {
  /**
   * Builds the graphs, initialises parameters and states from the seed, and compiles the training step
   * (when the build returns a loss and an optimizer is given; the eval and gradient graphs compile on
   * first use). Throws an McscError for an invalid runtime or a graph the runtime cannot train.
   */
  create(options: TrainingSessionOptions): Promise<TrainingSession>;
}

/** `TrainingSession.create(options)`: the one constructor of a {@link TrainingSession}. */
export const TrainingSession: TrainingSessionFactory = TrainingSessionImpl;

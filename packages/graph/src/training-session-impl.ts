/**
 * The implementation behind {@link TrainingSession} (training-session.ts, the public surface; this
 * class is not exported from the package). The training graph (forward + backward + optimizer
 * update) and the eval graph are built once and run on a `GraphRuntime` (onnxruntime-node or
 * onnxruntime-web); parameters, optimizer moments and running statistics are held here as named typed
 * arrays and fed to every run. Feeds: session-feeds.ts. Weights and state files: session-weights.ts.
 * The public members are documented on the interface.
 */
import { gradients } from './autodiff.js';
import { Graph } from './graph.js';
import { buildTrainingStep } from './training-step.js';
import { emitModel, liveNodes, type EmittedModel } from './onnx/emit.js';
import { lrInput, stepScalars, weightDecayInput } from './optim.js';
import { joinPackedStates, pack, splitPackedStates, unpack, type PackedGroup } from './packing.js';
import { Random } from './random.js';
import type { RuntimeSession, RuntimeTensor } from './runtime/runtime.js';
import type { NamedTensor } from './safetensors.js';
import { perGroup, toRuntimeTensor, type Feeds } from './session-feeds.js';
import {
  assignWeights,
  decodeTrainingState,
  encodeTrainingState,
  isOptimizerState,
  type LoadWeightsOptions,
  type LoadWeightsReport,
} from './session-weights.js';
import { formatShape, type Tensor, type TensorData } from './tensor.js';
import type { StepHyperParameters, TrainingSession, TrainingSessionOptions } from './training-session.js';
import { McscError } from './errors.js';

interface Compiled {
  model: EmittedModel;
  session: RuntimeSession;
}

export class TrainingSessionImpl implements TrainingSession {
  private steps = 0;
  /** Parameters and states (running statistics, optimizer moments) by name. */
  private readonly values = new Map<string, NamedTensor>();
  private readonly masks: Random;
  /** One keep-mask buffer per dropout input, refilled each step (allocating 2 M floats a step cost ~10 ms at `cpu`). */
  private readonly maskBuffers = new Map<string, Float32Array<ArrayBuffer>>();
  private train?: Compiled;
  private evalRun?: Compiled;
  private gradRun?: Compiled;

  private constructor(
    private readonly options: TrainingSessionOptions,
    private readonly packing: readonly PackedGroup[],
    private readonly trainGraph: Graph,
    private readonly trainOutputs: Record<string, Tensor>,
    private readonly evalGraph: Graph,
    private readonly evalOutputs: Record<string, Tensor>,
  ) {
    this.masks = Random.forName(options.seed ?? 0, 'dropout');
  }

  static async create(options: TrainingSessionOptions): Promise<TrainingSessionImpl> {
    if (!options.runtime || typeof options.runtime.createSession !== 'function') {
      throw new McscError(
        'TrainingSession.create',
        "options.runtime must be a GraphRuntime, e.g. nodeRuntime() from '@mcsc/graph/node' or await webRuntime() from '@mcsc/graph/web'",
      );
    }
    // Without a loss (or an optimizer) the session only evaluates, exports and loads weights.
    const {
      probe,
      graph: trainGraph,
      outputs: trainOutputs,
      plan,
      optimizer,
    } = buildTrainingStep(options.build, options.optimizer, options.maxPackedValues);

    if (
      optimizer &&
      options.runtime.device === 'webgpu' &&
      liveNodes(trainGraph, Object.values(trainOutputs)).some((n) => n.op === 'MaxPool' && n.outputs.length === 2)
    ) {
      // Read in onnxruntime's source, not run here (no WebGPU adapter): docs/gpu.md.
      throw new McscError(
        'TrainingSession.create',
        "onnxruntime-web's WebGPU MaxPool kernel does not write the arg-max Indices output that the max-pool gradient reads (docs/gpu.md); expected device 'wasm' for training a graph with maxPool2d",
      );
    }
    const evalGraph = new Graph({ training: false });
    const evalOutputs = options.build(evalGraph).outputs ?? {};
    const session = new TrainingSessionImpl(options, plan, trainGraph, trainOutputs, evalGraph, evalOutputs);
    session.initialize([evalGraph, probe, trainGraph]);
    if (optimizer) session.train = await session.compile(trainGraph, trainOutputs, false);
    return session;
  }

  private initialize(graphs: Graph[]): void {
    const seed = this.options.seed ?? 0;
    for (const g of graphs) {
      for (const t of [...g.params, ...g.states]) {
        if (this.values.has(t.name)) continue;
        const data = g.initializers.get(t.name)!({ shape: t.shape, name: t.name, random: Random.forName(seed, t.name) });
        if (data.length !== t.size)
          throw new McscError(`initializer of '${t.name}'`, `returned ${data.length} values for shape ${formatShape(t.shape)}`);
        this.values.set(t.name, {
          dtype: t.dtype,
          shape: t.shape,
          data: t.dtype === 'float32' ? data : BigInt64Array.from(data as BigInt64Array),
        });
      }
    }
  }

  private async compile(g: Graph, outputs: Record<string, Tensor>, dynamicBatch: boolean): Promise<Compiled> {
    const model = emitModel(g, { outputs, dynamicBatch });
    return { model, session: await this.options.runtime.createSession(model.bytes) };
  }

  get stepCount(): number {
    return this.steps;
  }

  get parameterNames(): string[] {
    return this.evalGraph.params.map((p) => p.name);
  }

  get parameterCount(): number {
    return this.parameterNames.reduce((n, name) => n + this.values.get(name)!.data.length, 0);
  }

  graphStats(): { forwardNodes: number; trainingNodes: number } {
    return {
      forwardNodes: liveNodes(this.evalGraph, Object.values(this.evalOutputs)).length,
      trainingNodes: liveNodes(this.trainGraph, Object.values(this.trainOutputs)).length,
    };
  }

  async step(feeds: Feeds, hyper: StepHyperParameters): Promise<Record<string, number>> {
    if (!this.train) throw new McscError('TrainingSession.step', 'this session has no loss and optimizer to train with');
    const { model, session } = this.train;
    const optimizer = this.options.optimizer!;
    const t = this.steps + 1;
    const scalars = stepScalars(optimizer, t);
    const runFeeds = this.feedsFor(model.inputs, feeds, false, (name) => {
      const s = scalars.get(name);
      if (s !== undefined) return new Float32Array([s]);
      for (const gr of optimizer.groups) {
        if (name === lrInput(gr.name)) return new Float32Array([perGroup(hyper.lr, gr.name, 'lr')]);
        if (name === weightDecayInput(gr.name))
          return new Float32Array([perGroup(hyper.weightDecay ?? {}, gr.name, 'weightDecay', gr.weightDecay ?? 0)]);
      }
      const random = this.trainGraph.randomInputs.find((r) => r.tensor.name === name);
      if (random) {
        // onnxruntime reads its inputs during the run only, so each mask input's buffer is refilled in place.
        const buffer = this.maskBuffers.get(name) ?? new Float32Array(random.tensor.size);
        this.maskBuffers.set(name, buffer);
        return this.masks.fillBernoulli(buffer, random.keepProbability);
      }
      const packed = this.packing.find((p) => p.input === name);
      if (packed) return pack(packed, (n) => this.values.get(n)!.data as Float32Array);
      return undefined;
    });
    const result = await session.run(runFeeds);
    const reported: Record<string, number> = {};
    for (const [name, value] of Object.entries(result)) {
      const packed = this.packing.find((p) => `new:${p.input}` === name);
      if (packed) {
        for (const [key, data] of unpack(packed, value.data as Float32Array)) this.values.set(key, { ...this.values.get(key)!, data });
      } else if (name.startsWith('new:')) {
        const key = name.slice(4);
        this.values.set(key, { ...this.values.get(key)!, data: value.data });
      } else reported[name] = Number((value.data as Float32Array)[0]);
    }
    this.steps = t;
    return reported;
  }

  async evaluate(feeds: Feeds): Promise<Record<string, RuntimeTensor>> {
    this.evalRun ??= await this.compile(this.evalGraph, this.evalOutputs, true);
    const { model, session } = this.evalRun;
    return session.run(this.feedsFor(model.inputs, feeds, true));
  }

  async computeGradients(feeds: Feeds): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
    if (!this.gradRun) {
      const g = new Graph({ training: true, dropout: false });
      const built = this.options.build(g);
      if (!built.loss) throw new McscError('TrainingSession.computeGradients', 'the build function returns no loss');
      const grads = gradients(built.loss, g.params);
      const outputs: Record<string, Tensor> = { loss: built.loss };
      g.params.forEach((p, i) => {
        const grad = grads[i];
        if (grad) outputs[`grad:${p.name}`] = grad;
      });
      this.gradRun = await this.compile(g, outputs, false);
    }
    const { model, session } = this.gradRun;
    const result = await session.run(this.feedsFor(model.inputs, feeds, false));
    const grads = new Map<string, Float32Array>();
    for (const [name, v] of Object.entries(result)) if (name.startsWith('grad:')) grads.set(name.slice(5), v.data as Float32Array);
    return { loss: Number((result.loss!.data as Float32Array)[0]), grads };
  }

  exportInference(outputs?: readonly string[]): Uint8Array {
    const chosen = outputs
      ? Object.fromEntries(outputs.map((n) => [n, this.evalOutputs[n] ?? missingOutput(n, this.evalOutputs)]))
      : this.evalOutputs;
    const values = new Map([...this.values].map(([k, v]) => [k, v.data]));
    return emitModel(this.evalGraph, { outputs: chosen, initializers: values, dynamicBatch: true }).bytes;
  }

  weights(filter: (name: string) => boolean = () => true): Map<string, NamedTensor> {
    return new Map([...this.values].filter(([k]) => !isOptimizerState(k) && filter(k)));
  }

  loadWeights(tensors: ReadonlyMap<string, NamedTensor>, options: LoadWeightsOptions = {}): LoadWeightsReport {
    return assignWeights(this.values, tensors, options);
  }

  exportState(metadata: Record<string, string> = {}): Uint8Array {
    return encodeTrainingState(joinPackedStates(this.packing, this.values), this.steps, this.masks.getState(), metadata);
  }

  importState(bytes: Uint8Array, source = 'training state'): Record<string, string> {
    const state = decodeTrainingState(bytes, source);
    assignWeights(this.values, splitPackedStates(this.packing, this.values, state.tensors), { strict: true, source });
    this.steps = state.stepCount;
    this.masks.setState(state.rngState as number[]);
    return state.metadata;
  }

  async release(): Promise<void> {
    for (const c of [this.train, this.evalRun, this.gradRun]) await c?.session.release();
  }

  /** Build feeds: the graph inputs from `feeds`, parameters and states from this session, the rest from `extra`. */
  private feedsFor(
    inputs: readonly Tensor[],
    feeds: Feeds,
    dynamicBatch: boolean,
    extra?: (name: string) => TensorData | undefined,
  ): Record<string, RuntimeTensor> {
    const out: Record<string, RuntimeTensor> = {};
    for (const t of inputs) {
      const own = this.values.get(t.name);
      const special = own ? undefined : extra?.(t.name);
      if (own) out[t.name] = { type: own.dtype, data: own.data, dims: own.shape };
      else if (special) out[t.name] = { type: t.dtype, data: special, dims: t.shape };
      else {
        const given = feeds[t.name];
        if (given === undefined)
          throw new McscError(
            'TrainingSession',
            `missing feed '${t.name}' (${t.dtype}${formatShape(t.shape)}); fed: ${Object.keys(feeds).join(', ') || 'nothing'}`,
          );
        out[t.name] = toRuntimeTensor(t, given, dynamicBatch);
      }
    }
    return out;
  }
}

function missingOutput(name: string, outputs: Record<string, Tensor>): never {
  throw new McscError('TrainingSession.exportInference', `no output '${name}'; the model has ${Object.keys(outputs).join(', ')}`);
}

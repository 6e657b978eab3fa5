/**
 * A training session: the training graph (forward + backward + optimizer update) and the eval graph,
 * built once, run through onnxruntime `InferenceSession`s; parameters, optimizer moments and running
 * statistics held here as named typed arrays and fed to every run.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { gradients } from './autodiff.js';
import { Graph } from './graph.js';
import { writeFileAtomic } from './io.js';
import { emitModel, liveNodes, type EmittedModel } from './onnx/emit.js';
import { packedParamResolver, pack, planPacking, unpack, type PackedGroup } from './packing.js';
import { addOptimizerUpdate, groupOf, lrInput, STEP_INPUT, stepScalars, weightDecayInput, type OptimizerConfig } from './optim.js';
import { createSession, type ExecutionProviderName } from './providers.js';
import { Random } from './random.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.js';
import { formatShape, type Tensor, type TensorData } from './tensor.js';

/** What a model-building function returns. It is called once per graph (training, eval, gradients). */
export interface ModelGraph {
  /** The scalar that `step` minimises. */
  loss?: Tensor;
  /** Named scalars that `step` reports (loss parts, metrics). */
  scalars?: Record<string, Tensor>;
  /** Tensors that `evaluate` returns and the exported inference model outputs. */
  outputs?: Record<string, Tensor>;
}

export type BuildFn = (g: Graph) => ModelGraph;

export interface TrainingSessionOptions {
  build: BuildFn;
  /** Required for `step`; a session without one (or whose build returns no loss) evaluates and exports only. */
  optimizer?: OptimizerConfig;
  /** Seeds parameter initialisation (per parameter name) and the dropout masks; default 0. */
  seed?: number;
  executionProvider?: ExecutionProviderName;
  /** Intra-op threads; default: onnxruntime's choice (all cores). */
  threads?: number;
}

export type Feeds = Readonly<Record<string, TensorData | ort.Tensor>>;

/** Per-step hyper-parameters: one number for every group, or one per group name. */
export interface StepHyperParameters {
  lr: number | Readonly<Record<string, number>>;
  weightDecay?: number | Readonly<Record<string, number>>;
}

interface Compiled {
  model: EmittedModel;
  session: ort.InferenceSession;
}

export class TrainingSession {
  /** Parameters and states (running statistics, optimizer moments) by name. */
  readonly values = new Map<string, NamedTensor>();
  /** Number of optimizer steps taken. */
  stepCount = 0;
  private readonly masks: Random;
  private train?: Compiled;
  private evalRun?: Compiled;
  private gradRun?: Compiled;

  private constructor(
    readonly options: TrainingSessionOptions,
    private readonly packing: readonly PackedGroup[],
    private readonly trainGraph: Graph,
    private readonly trainOutputs: Record<string, Tensor>,
    private readonly evalGraph: Graph,
    private readonly evalOutputs: Record<string, Tensor>,
  ) {
    this.masks = Random.forName(options.seed ?? 0, 'dropout');
  }

  static async create(options: TrainingSessionOptions): Promise<TrainingSession> {
    // Pass 1 finds which parameters receive a gradient and their groups; pass 2 builds the step graph
    // with those parameters packed per group (see packing.ts). Without a loss (or an optimizer) the
    // session only evaluates, exports and loads weights.
    const probe = new Graph({ training: true });
    const probeLoss = options.build(probe).loss;
    const trains = !!probeLoss && !!options.optimizer;
    const probeGrads = trains ? gradients(probeLoss!, probe.params) : [];
    const trained = probe.params.filter((_, i) => probeGrads[i]);
    const plan = trains ? planPacking(trained, trained.map((p) => groupOf(options.optimizer!, p.name))) : [];

    const trainGraph: Graph = new Graph({ training: true, resolveParam: packedParamResolver(plan, () => trainGraph) });
    const trainOutputs: Record<string, Tensor> = {};
    if (trains) {
      const built = options.build(trainGraph);
      const flats = plan.map((group) => trainGraph.inputs.find((t) => t.name === group.input)!);
      const grads = gradients(built.loss!, flats);
      const updated = addOptimizerUpdate(trainGraph, options.optimizer!, flats, grads, plan.map((p) => p.group));
      Object.assign(trainOutputs, { loss: built.loss!, ...built.scalars });
      for (const [name, t] of updated) trainOutputs[`new:${name}`] = t;
      for (const u of trainGraph.stateUpdates) trainOutputs[`new:${u.state.name}`] = u.value;
    }

    const evalGraph = new Graph({ training: false });
    const evalOutputs = options.build(evalGraph).outputs ?? {};
    const session = new TrainingSession(options, plan, trainGraph, trainOutputs, evalGraph, evalOutputs);
    session.initialize([evalGraph, probe, trainGraph]);
    if (trains) session.train = await session.compile(trainGraph, trainOutputs, false);
    return session;
  }

  private initialize(graphs: Graph[]): void {
    const seed = this.options.seed ?? 0;
    for (const g of graphs) {
      for (const t of [...g.params, ...g.states]) {
        if (this.values.has(t.name)) continue;
        const data = g.initializers.get(t.name)!({ shape: t.shape, name: t.name, random: Random.forName(seed, t.name) });
        if (data.length !== t.size) throw new Error(`initializer of '${t.name}' returned ${data.length} values for shape ${formatShape(t.shape)}`);
        this.values.set(t.name, { dtype: t.dtype, shape: t.shape, data: t.dtype === 'float32' ? data : BigInt64Array.from(data as BigInt64Array) });
      }
    }
  }

  private async compile(g: Graph, outputs: Record<string, Tensor>, dynamicBatch: boolean): Promise<Compiled> {
    const model = emitModel(g, { outputs, dynamicBatch });
    const session = await createSession(model.bytes, this.options.executionProvider, this.options.threads);
    return { model, session };
  }

  /** Names of the trainable parameters, in creation order. */
  get parameterNames(): string[] {
    return this.evalGraph.params.map((p) => p.name);
  }

  /** Node counts of the forward (eval) graph and of the whole training step graph. */
  graphStats(): { forwardNodes: number; trainingNodes: number } {
    return {
      forwardNodes: liveNodes(this.evalGraph, Object.values(this.evalOutputs)).length,
      trainingNodes: liveNodes(this.trainGraph, Object.values(this.trainOutputs)).length,
    };
  }

  /** One optimizer step: forward, backward and update in one onnxruntime run. Returns the scalars. */
  async step(feeds: Feeds, hyper: StepHyperParameters): Promise<Record<string, number>> {
    if (!this.train) throw new Error('TrainingSession.step: this session has no loss and optimizer to train with');
    const { model, session } = this.train;
    const optimizer = this.options.optimizer!;
    const t = this.stepCount + 1;
    const scalars = stepScalars(optimizer, t);
    const ortFeeds = this.feedsFor(model.inputs, feeds, false, (name) => {
      const s = scalars.get(name);
      if (s !== undefined) return new Float32Array([s]);
      for (const gr of optimizer.groups) {
        if (name === lrInput(gr.name)) return new Float32Array([pick(hyper.lr, gr.name, 'lr')]);
        if (name === weightDecayInput(gr.name)) return new Float32Array([pick(hyper.weightDecay ?? {}, gr.name, 'weightDecay', gr.weightDecay ?? 0)]);
      }
      const random = this.trainGraph.randomInputs.find((r) => r.tensor.name === name);
      if (random) return bernoulli(this.masks, random.tensor.size, random.keepProbability);
      const packed = this.packing.find((p) => p.input === name);
      if (packed) return pack(packed, (n) => this.values.get(n)!.data as Float32Array);
      return undefined;
    });
    const result = await session.run(ortFeeds);
    const reported: Record<string, number> = {};
    for (const [name, value] of Object.entries(result)) {
      const packed = this.packing.find((p) => `new:${p.input}` === name);
      if (packed) {
        for (const [key, data] of unpack(packed, value.data as Float32Array)) this.values.set(key, { ...this.values.get(key)!, data });
      } else if (name.startsWith('new:')) {
        const key = name.slice(4);
        const old = this.values.get(key)!;
        this.values.set(key, { ...old, data: value.data as TensorData });
      } else reported[name] = Number((value.data as Float32Array)[0]);
    }
    this.stepCount = t;
    return reported;
  }

  /** Run the eval graph (running statistics, no dropout); any batch size. */
  async evaluate(feeds: Feeds): Promise<Record<string, ort.Tensor>> {
    this.evalRun ??= await this.compile(this.evalGraph, this.evalOutputs, true);
    const { model, session } = this.evalRun;
    return session.run(this.feedsFor(model.inputs, feeds, true));
  }

  /**
   * The loss and the gradient of every parameter, without updating anything: BatchNorm in training
   * mode, dropout off (what `mcsc grad` reports for parity checks against PyTorch).
   */
  async computeGradients(feeds: Feeds): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
    if (!this.gradRun) {
      const g = new Graph({ training: true, dropout: false });
      const built = this.options.build(g);
      const grads = gradients(built.loss!, g.params);
      const outputs: Record<string, Tensor> = { loss: built.loss! };
      g.params.forEach((p, i) => grads[i] && (outputs[`grad:${p.name}`] = grads[i]!));
      this.gradRun = await this.compile(g, outputs, false);
    }
    const { model, session } = this.gradRun;
    const result = await session.run(this.feedsFor(model.inputs, feeds, false));
    const grads = new Map<string, Float32Array>();
    for (const [name, v] of Object.entries(result)) if (name.startsWith('grad:')) grads.set(name.slice(5), v.data as Float32Array);
    return { loss: Number((result.loss!.data as Float32Array)[0]), grads };
  }

  /** The inference model: eval mode, current weights baked in, batch dimension dynamic. */
  exportInference(outputs?: readonly string[]): Uint8Array {
    const chosen = outputs ? Object.fromEntries(outputs.map((n) => [n, this.evalOutputs[n] ?? missingOutput(n, this.evalOutputs)])) : this.evalOutputs;
    const values = new Map([...this.values].map(([k, v]) => [k, v.data]));
    return emitModel(this.evalGraph, { outputs: chosen, initializers: values, dynamicBatch: true }).bytes;
  }

  /** Everything needed to continue training: parameters, states, moments, step count, RNG. */
  saveState(path: string, metadata: Record<string, string> = {}): void {
    const tensors = new Map(this.values);
    tensors.set(STEP_INPUT, { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(this.stepCount)) });
    const meta = { ...metadata, format: 'mcsc-training-state', dropoutRng: JSON.stringify(this.masks.getState()) };
    writeFileAtomic(path, encodeSafetensors(tensors, meta));
  }

  /** Restore a `saveState` file; every tensor must match this session's names and shapes. */
  loadState(path: string): Record<string, string> {
    const { tensors, metadata } = decodeSafetensors(readFileSync(path), path);
    if (metadata.format !== 'mcsc-training-state') throw new Error(`${path}: not a training state (metadata.format is '${metadata.format}', expected 'mcsc-training-state')`);
    const step = tensors.get(STEP_INPUT);
    tensors.delete(STEP_INPUT);
    this.assign(tensors, path, true, []);
    this.stepCount = Number((step!.data as BigInt64Array)[0]);
    this.masks.setState(JSON.parse(metadata.dropoutRng!));
    return metadata;
  }

  /** Parameters and running statistics by reference name (a PyTorch state_dict, without optimizer state). */
  saveWeights(path: string, metadata: Record<string, string> = {}): void {
    const tensors = new Map([...this.values].filter(([k]) => !k.startsWith('optimizer.')));
    writeFileAtomic(path, encodeSafetensors(tensors, metadata));
  }

  /**
   * Load weights by name. Strict: every parameter and state of the model must be present with its
   * shape, and no unknown names may appear, except those matched by `ignore` (e.g. a reference
   * checkpoint's unused head); all problems are reported in one error.
   */
  loadWeights(path: string, opts: { strict?: boolean; ignore?: readonly RegExp[] } = {}): void {
    const { tensors } = decodeSafetensors(readFileSync(path), path);
    this.assign(tensors, path, opts.strict ?? true, opts.ignore ?? []);
  }

  /** Assign named tensors to parameters and states, after checking them all. */
  assign(tensors: ReadonlyMap<string, NamedTensor>, source: string, strict: boolean, ignore: readonly RegExp[]): void {
    const expected = [...this.values.keys()].filter((k) => !k.startsWith('optimizer.') || tensors.has(k));
    const missing = expected.filter((k) => !tensors.has(k));
    const unexpected = [...tensors.keys()].filter((k) => !this.values.has(k) && !ignore.some((r) => r.test(k)));
    const mismatched = [...tensors].filter(([k, t]) => this.values.has(k) && this.values.get(k)!.shape.join() !== t.shape.join())
      .map(([k, t]) => `${k}: file ${formatShape(t.shape)}, model ${formatShape(this.values.get(k)!.shape)}`);
    const problems = [
      ...(strict && missing.length ? [`missing: ${missing.join(', ')}`] : []),
      ...(strict && unexpected.length ? [`unexpected: ${unexpected.join(', ')}`] : []),
      ...(mismatched.length ? [`shape mismatch: ${mismatched.join('; ')}`] : []),
    ];
    if (problems.length) throw new Error(`${source}: weights do not match the model.\n  ${problems.join('\n  ')}`);
    for (const [k, t] of tensors) {
      const own = this.values.get(k);
      if (!own) continue;
      const data = own.dtype === 'int64' && t.dtype !== 'int64' ? BigInt64Array.from(t.data as Float32Array, (v) => BigInt(Math.round(v))) : t.data;
      this.values.set(k, { ...own, data });
    }
  }

  /** Build feeds: the graph inputs from `feeds`, parameters and states from this session, the rest from `extra`. */
  private feedsFor(inputs: readonly Tensor[], feeds: Feeds, dynamicBatch: boolean, extra?: (name: string) => TensorData | undefined): Record<string, ort.Tensor> {
    const out: Record<string, ort.Tensor> = {};
    for (const t of inputs) {
      const own = this.values.get(t.name);
      if (own) {
        out[t.name] = new ort.Tensor(own.dtype, own.data, own.shape as number[]);
        continue;
      }
      const special = extra?.(t.name);
      if (special) {
        out[t.name] = new ort.Tensor(t.dtype, special, t.shape as number[]);
        continue;
      }
      const given = feeds[t.name];
      if (given === undefined) throw new Error(`TrainingSession: missing feed '${t.name}' (${t.dtype}${formatShape(t.shape)}); fed: ${Object.keys(feeds).join(', ') || 'nothing'}`);
      out[t.name] = toOrtTensor(t, given, dynamicBatch);
    }
    return out;
  }
}

function toOrtTensor(t: Tensor, given: TensorData | ort.Tensor, dynamicBatch: boolean): ort.Tensor {
  const isTyped = ArrayBuffer.isView(given);
  const data = isTyped ? (given as TensorData) : null;
  const tensor = isTyped ? null : (given as ort.Tensor);
  const perItem = t.size / t.shape[0]!;
  const dims: readonly number[] = tensor ? tensor.dims : dynamicBatch ? [data!.length / perItem, ...t.shape.slice(1)] : t.shape;
  const shapeOk = dims.length === t.rank && dims.every((d, i) => d === t.shape[i] || (dynamicBatch && i === 0 && Number.isInteger(d) && d > 0));
  const dtypeOk = tensor
    ? tensor.type === t.dtype
    : t.dtype === 'float32' ? data instanceof Float32Array : t.dtype === 'int64' ? data instanceof BigInt64Array : data instanceof Uint8Array;
  const sizeOk = tensor || data!.length === dims.reduce((a, b) => a * b, 1);
  if (!shapeOk || !dtypeOk || !sizeOk) {
    const desc = tensor ? `${tensor.type}${formatShape(tensor.dims)}` : `${data!.constructor.name} of ${data!.length} values`;
    const want = dynamicBatch ? `[N, ${t.shape.slice(1).join(', ')}]` : formatShape(t.shape);
    throw new RangeError(`TrainingSession: feed '${t.name}' is ${desc}, expected ${t.dtype}${want}`);
  }
  return tensor ?? new ort.Tensor(t.dtype, data!, [...dims]);
}

function pick(v: number | Readonly<Record<string, number>>, group: string, what: string, fallback?: number): number {
  if (typeof v === 'number') return v;
  const x = v[group] ?? fallback;
  if (x === undefined) throw new Error(`TrainingSession.step: no ${what} for parameter group '${group}'`);
  return x;
}

/** Keep-masks: 1 where uniform() < keep. u/2³² < keep ⇔ u < keep·2³² exactly (both sides are exact in float64). */
function bernoulli(random: Random, n: number, keep: number): Float32Array {
  const bits = random.fillUint32(new Uint32Array(n));
  const threshold = keep * 4294967296;
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = bits[i]! < threshold ? 1 : 0;
  return m;
}

function missingOutput(name: string, outputs: Record<string, Tensor>): never {
  throw new Error(`exportInference: no output '${name}'; the model has ${Object.keys(outputs).join(', ')}`);
}



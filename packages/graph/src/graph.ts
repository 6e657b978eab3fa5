import type { Random } from './random.js';
import { allocate, formatShape, shapeSize, Tensor, type DType, type Shape, type TensorData } from './tensor.js';
import { McscError } from './errors.js';

export type AttrValue = number | number[] | string | { readonly float: number } | { readonly floats: number[] };
export type Attrs = Readonly<Record<string, AttrValue>>;

/** Per input of a node, a thunk that builds that input's gradient, or null where the input has none (integer indices, shapes). */
export type InputGradients = ReadonlyArray<(() => Tensor) | null>;

/**
 * A named gradient rule: the derivative of one ONNX op, written next to the op's forward function
 * and registered in the one table `GRADIENT_RULES` (ops/rules.ts), which `listGradientRules()` and
 * docs/gradients.md print. `backward` gets the gradients of the node's outputs (zeros stand in for
 * unused float outputs) and `ctx`, what the op recorded when it built the node (operands, axes,
 * geometry); it returns thunks so autodiff builds only the gradients it needs.
 */
export interface GradientRule<C = void> {
  /** The key in GRADIENT_RULES: the ONNX op, or `Op.variant` where one op has several rules. */
  readonly name: string;
  /** The ONNX operator of the nodes it differentiates. */
  readonly op: string;
  /** The inputs that receive a gradient, by their ONNX names (others: indices, shapes, axes). */
  readonly grads: readonly string[];
  /** The derivative in one line, e.g. `dx = y·(gy − Σ gy·y)`. */
  readonly formula: string;
  /**
   * The package that defines the rule, for `listGradientRules()` and docs/gradients.md, e.g.
   * '@mcsc/core'. Set it on rules registered from outside @mcsc/graph; the library's own leave it out.
   */
  readonly package?: string;
  backward(gradOutputs: Tensor[], ctx: C, node: Node): InputGradients;
  /** Attach the rule to a node, with the context its backward pass reads. */
  with(ctx: C): BoundGradient;
}

/** A rule attached to a node. */
export interface BoundGradient {
  readonly rule: GradientRule<unknown>;
  readonly ctx: unknown;
}

/**
 * An unnamed gradient closure, kept for callers outside this package (e.g. a custom loss with a
 * private backward pass). It is not listed anywhere; prefer `defineGradient` and `registerGradientRules`.
 */
export type CustomGradient = (gradOutputs: Tensor[], node: Node) => InputGradients;

/** Create a gradient rule; list it in ops/rules.ts (or `registerGradientRules`) so autodiff accepts it. */
export function defineGradient<C = void>(spec: Omit<GradientRule<C>, 'with'>): GradientRule<C> {
  const rule: GradientRule<C> = Object.freeze({ ...spec, with: (ctx: C): BoundGradient => ({ rule: rule as GradientRule<unknown>, ctx }) });
  return rule;
}

export interface Node {
  readonly id: number;
  /** ONNX operator type, e.g. "Conv". */
  readonly op: string;
  /** Inputs; null marks an omitted optional ONNX input. */
  readonly inputs: ReadonlyArray<Tensor | null>;
  /**
   * Where autodiff sends this node's gradient when that is not its ONNX inputs: a checkpoint
   * (ops/checkpoint.ts) is an Identity of a subgraph whose gradient its rule rebuilds, with respect to
   * the subgraph's inputs. Undefined: `inputs`.
   */
  readonly gradientInputs?: ReadonlyArray<Tensor>;
  readonly outputs: readonly Tensor[];
  readonly attrs: Attrs;
  /** Undefined: the op is not differentiable (ArgMax, comparisons, OneHot…). */
  readonly gradient: BoundGradient | CustomGradient | undefined;
  /** A stop-gradient marker: autodiff treats its output as a constant. */
  readonly stopsGradient: boolean;
  /**
   * The scope the node was built in (`Graph.scope`), e.g. `unet` or `contrast.full/projector`; gradient
   * nodes carry their forward node's. The emitted node is named `<scope>/<op>_<id>`, so onnxruntime's
   * profile can be summed per component. Undefined outside any scope.
   */
  readonly scope: string | undefined;
}

export interface OpSpec {
  op: string;
  inputs: ReadonlyArray<Tensor | null>;
  outputs: ReadonlyArray<{ shape: Shape; dtype: DType }>;
  attrs?: Attrs;
  gradient?: BoundGradient | CustomGradient;
  stopsGradient?: boolean;
  gradientInputs?: ReadonlyArray<Tensor>;
}

/** Where a graph tensor must be fed from, or what it updates. */
export interface StateUpdate {
  readonly state: Tensor;
  readonly value: Tensor;
}

/** What an initializer is told about the tensor it fills. */
export interface InitContext {
  readonly shape: Shape;
  readonly name: string;
  /** A generator seeded from the session seed and this tensor's name, so init is order-independent. */
  readonly random: Random;
}

/** Produces a parameter's or state's initial value; called once, when a session first meets it. */
export type Initializer = (ctx: InitContext) => Float32Array | BigInt64Array;

/**
 * A computation graph under construction. Tensors are created by `input`, `param`, `state`,
 * `constant`, and by ops (see `ops/`), which call `addNode`. Nodes are kept in creation order,
 * which is a topological order, so autodiff and emission never need a recursive sort.
 */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  readonly params: Tensor[] = [];
  readonly states: Tensor[] = [];
  readonly constants: Tensor[] = [];
  readonly stateUpdates: StateUpdate[] = [];
  readonly initializers = new Map<string, Initializer>();
  /** Inputs the runtime fills itself each step (dropout masks), with how. */
  readonly randomInputs: { tensor: Tensor; keepProbability: number }[] = [];
  private nextId = 0;
  private currentScope: string | undefined = undefined;
  private readonly names = new Set<string>();
  private readonly scalarCache = new Map<string, Tensor>();

  /** Training mode: BatchNorm uses and updates batch statistics. */
  readonly training: boolean;
  /** Dropout and drop-path active (by default, in training mode). */
  readonly dropout: boolean;

  /**
   * Optional redirection of `param`: returns the tensor to use for a named parameter (e.g. a slice of
   * a packed, flat parameter vector), or undefined to create an ordinary parameter.
   */
  private readonly resolveParam: ((name: string, shape: Shape) => Tensor | undefined) | undefined;
  /** Parameters that `resolveParam` redirected, in creation order. */
  readonly redirectedParams: string[] = [];

  constructor(mode: { training?: boolean; dropout?: boolean; resolveParam?: (name: string, shape: Shape) => Tensor | undefined } = {}) {
    this.training = mode.training ?? false;
    this.dropout = mode.dropout ?? this.training;
    this.resolveParam = mode.resolveParam;
  }

  input(name: string, shape: Shape, dtype: DType = 'float32'): Tensor {
    const t = this.newTensor(this.claim(name, 'input'), shape, dtype, { kind: 'input' });
    this.inputs.push(t);
    return t;
  }

  /** A trainable float32 parameter, named as in the reference state_dict. */
  param(name: string, shape: Shape, init: Initializer): Tensor {
    const redirected = this.resolveParam?.(name, shape);
    if (redirected) {
      this.claim(name, 'param');
      this.initializers.set(name, init);
      this.redirectedParams.push(name);
      return redirected;
    }
    const t = this.newTensor(this.claim(name, 'param'), shape, 'float32', { kind: 'param' });
    this.params.push(t);
    this.initializers.set(name, init);
    return t;
  }

  /** A non-trainable buffer (e.g. BatchNorm running_mean) that the graph may update. */
  state(name: string, shape: Shape, init: Initializer, dtype: DType = 'float32'): Tensor {
    const t = this.newTensor(this.claim(name, 'state'), shape, dtype, { kind: 'state' });
    this.states.push(t);
    this.initializers.set(name, init);
    return t;
  }

  /** Record the value a state takes after this run (only meaningful in training graphs). */
  updateState(state: Tensor, value: Tensor): void {
    if (state.source.kind !== 'state') throw new McscError('updateState', `${state.name} is not a state tensor`);
    if (value.dtype !== state.dtype || value.size !== state.size) {
      throw new McscError(
        'updateState',
        `${state.name} is ${state.dtype}${formatShape(state.shape)}, got ${value.dtype}${formatShape(value.shape)}`,
      );
    }
    this.stateUpdates.push({ state, value });
  }

  constant(data: TensorData | number[], shape: Shape, dtype: DType = 'float32'): Tensor {
    const values = Array.isArray(data) ? fromNumbers(data, dtype) : data;
    if (values.length !== shapeSize(shape)) {
      throw new McscError('constant', `${values.length} values do not fill shape ${formatShape(shape)}`);
    }
    const t = this.newTensor(`const_${this.nextId}`, shape, dtype, { kind: 'constant', data: values });
    this.constants.push(t);
    return t;
  }

  /** A rank-0 constant, shared between uses. */
  scalar(value: number, dtype: DType = 'float32'): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    let t = this.scalarCache.get(key);
    if (!t) {
      t = this.constant(fromNumbers([value], dtype), [], dtype);
      this.scalarCache.set(key, t);
    }
    return t;
  }

  /** A 1-D int64 constant, for shapes, axes, pads and indices. */
  ints(values: readonly number[]): Tensor {
    return this.constant(
      BigInt64Array.from(values, (v) => BigInt(v)),
      [values.length],
      'int64',
    );
  }

  /**
   * Builds `fn` inside a named scope: the nodes it adds are named `<scope>/<op>_<id>` in the emitted
   * model (nested scopes joined by '/'), and autodiff builds each node's gradient in that node's scope.
   * Names only: the model computes the same. Used to attribute onnxruntime's per-node profile to the
   * parts of a model (packages/train/bench/step-profile.bench.ts).
   */
  scope<T>(name: string, fn: () => T): T {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
      throw new McscError('Graph.scope', `a scope name is letters, digits, '_', '.' or '-', got '${name}'`);
    }
    return this.inScope(this.currentScope === undefined ? name : `${this.currentScope}/${name}`, fn);
  }

  /** The scope nodes are added in now (`Graph.scope`); undefined outside any. */
  get scopePath(): string | undefined {
    return this.currentScope;
  }

  /** Builds `fn` in the given full scope path (undefined: none), whatever the current one: autodiff's backward nodes. */
  inScope<T>(path: string | undefined, fn: () => T): T {
    const outer = this.currentScope;
    this.currentScope = path;
    try {
      return fn();
    } finally {
      this.currentScope = outer;
    }
  }

  addNode(spec: OpSpec): Tensor[] {
    for (const x of [...spec.inputs, ...(spec.gradientInputs ?? [])]) {
      if (x && x.graph !== this) throw new McscError(spec.op, `input ${x.name} belongs to another graph`);
    }
    const outputs: Tensor[] = [];
    const node: Node = {
      id: this.nodes.length,
      op: spec.op,
      inputs: spec.inputs,
      outputs,
      attrs: spec.attrs ?? {},
      gradient: spec.gradient,
      stopsGradient: spec.stopsGradient ?? false,
      scope: this.currentScope,
      ...(spec.gradientInputs ? { gradientInputs: spec.gradientInputs } : {}),
    };
    spec.outputs.forEach((o, index) => {
      outputs.push(this.newTensor(`t${this.nextId}`, o.shape, o.dtype, { kind: 'op', node, index }));
    });
    this.nodes.push(node);
    return outputs;
  }

  private newTensor(name: string, shape: Shape, dtype: DType, source: Tensor['source']): Tensor {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new McscError(`tensor ${name}`, `invalid shape ${formatShape(shape)}`);
    }
    return new Tensor(this, this.nextId++, name, Object.freeze([...shape]), dtype, source);
  }

  private claim(name: string, what: string): string {
    if (this.names.has(name)) throw new McscError('Graph', `a ${what} named '${name}' is already defined`);
    if (name.length === 0) throw new McscError('Graph', `a ${what} needs a non-empty name`);
    this.names.add(name);
    return name;
  }
}

function fromNumbers(values: readonly number[], dtype: DType): TensorData {
  const out = allocate(dtype, values.length);
  if (out instanceof BigInt64Array) values.forEach((v, i) => (out[i] = BigInt(v)));
  else values.forEach((v, i) => (out[i] = v));
  return out;
}

/**
 * The gradient-rule table: a tour calls every op the library exports and checks that each node it
 * emits, forward and backward, carries the registered rule for its op or is a declared
 * non-differentiable op; that every registered rule is met; that a missing rule fails loudly, naming
 * the op. (docs/gradients.md, which also lists @mcsc/core's rules: gradients-doc.test.ts.)
 */
import * as G from '../src/index';
import { GRADIENT_RULES, Graph, NO_GRADIENT, defineGradient, gradients, listGradientRules, type Node, type Tensor } from '../src/index';
import * as ops from '../src/ops/index';

/** Exports of ops/index that are not ops (shape arithmetic, the rule table itself). */
const NOT_OPS = new Set(['broadcastShapes', 'registerGradientRules', 'listGradientRules', 'gradientRulesMarkdown', 'noGradientMarkdown']);

interface Inputs {
  g: Graph;
  /** [2, 4, 6, 6] images. */
  x: Tensor;
  /** [3, 4] matrices. */
  a: Tensor;
  b: Tensor;
}

/** One call per exported op; `true` in the tuple: the result joins the loss (the op is differentiable). */
const tour: Record<string, (t: Inputs) => [Tensor | Tensor[], boolean]> = {
  add: ({ a, b }) => [G.add(a, b), true],
  sub: ({ a }) => [G.sub(a, 1), true],
  mul: ({ a, b }) => [G.mul(a, b), true],
  div: ({ a, b }) => [G.div(a, G.add(G.mul(b, b), 1)), true],
  pow: ({ a, b }) => [G.pow(G.exp(a), b), true],
  neg: ({ a }) => [G.neg(a), true],
  sqrt: ({ a }) => [G.sqrt(G.exp(a)), true],
  exp: ({ a }) => [G.exp(a), true],
  log: ({ a }) => [G.log(G.exp(a)), true],
  abs: ({ a }) => [G.abs(a), true],
  tanh: ({ a }) => [G.tanh(a), true],
  sigmoid: ({ a }) => [G.sigmoid(a), true],
  erf: ({ a }) => [G.erf(a), true],
  relu: ({ a }) => [G.relu(a), true],
  leakyRelu: ({ a }) => [G.leakyRelu(a, 0.1), true],
  gelu: ({ a }) => [G.gelu(a), true],
  sign: ({ a }) => [G.sign(a), false],
  equal: ({ a, b }) => [G.equal(a, b), false],
  less: ({ a, b }) => [G.less(a, b), false],
  greater: ({ a, b }) => [G.greater(a, b), false],
  where: ({ a, b }) => [G.where(G.greater(G.stopGradient(a), 0), a, b), true],
  cast: ({ a }) => [G.cast(a, 'int64'), false],
  identity: ({ a }) => [G.identity(a), true],
  stopGradient: ({ a }) => [G.stopGradient(a), true],
  reduceSum: ({ x }) => [G.reduceSum(x, [1, 3]), true],
  reduceMean: ({ x }) => [G.reduceMean(x, [0], true), true],
  reduceMax: ({ a }) => [G.reduceMax(a, [1]), true],
  reduceSumSquare: ({ x }) => [G.reduceSumSquare(x, [1, 3], true), true],
  sumAll: ({ a, b }) => [G.sumAll(a, b), true],
  reshape: ({ a }) => [G.reshape(a, [2, -1]), true],
  transpose: ({ x }) => [G.transpose(x, [0, 2, 3, 1]), true],
  expand: ({ a }) => [G.expand(G.reshape(a, [3, 1, 4]), [3, 2, 4]), true],
  zeros: ({ g }) => [G.zeros(g, [2, 3]), false],
  slice: ({ x }) => [G.slice(x, { axes: [2, 3], starts: [5, 0], ends: [-7, 6], steps: [-2, 3] }), true],
  pad: ({ a }) => [G.pad(a, [1, 0, 0, 2]), true],
  concat: ({ a, b }) => [G.concat([a, b], 0), true],
  split: ({ a }) => [G.split(a, [1, 3], 1), true],
  unsqueeze: ({ a }) => [G.unsqueeze(a, 1), true],
  unbroadcast: ({ x }) => [G.unbroadcast(x, [4, 1, 6]), true],
  gather: ({ g, a }) => [G.gather(a, g.ints([2, 0, 2]), 1), true],
  scatterNDAdd: ({ g, a, b }) => [
    G.scatterNDAdd(a, G.reshape(g.ints([0, 2]), [2, 1]), G.slice(b, { axes: [0], starts: [0], ends: [2] })),
    false,
  ],
  oneHot: ({ g }) => [G.oneHot(g.ints([1, 0]), 3), false],
  argMax: ({ a }) => [G.argMax(a, 1), false],
  matmul: ({ a, b }) => [G.matmul(a, G.transpose(b, [1, 0])), true],
  gemm: ({ a, b }) => [G.gemm(a, b, G.reduceSum(b, [1]), { transB: true }), true],
  linear: ({ a, b }) => [G.linear(G.reshape(a, [1, 3, 4]), b), true],
  mlp: ({ a, b }) => {
    const square = G.matmul(a, G.transpose(b, [1, 0])); // [3, 3]: a second layer of width 3 → 3
    const [first, second] = [
      { weight: b, bias: G.reduceSum(b, [1]) },
      { weight: square, bias: G.reduceSum(square, [1]) },
    ];
    return [[G.mlp(a, first, second), G.mlp(G.reshape(a, [1, 3, 4]), first, second, 'gelu')], true];
  },
  transposeLast: ({ x }) => [G.transposeLast(x), true],
  softmax: ({ a }) => [G.softmax(a), true],
  logSoftmax: ({ a }) => [G.logSoftmax(a), true],
  // Over an axis that is not the last: a composite with the rule on its last node (ops/softmax.ts).
  softmaxInnerAxis: ({ a }) => [G.softmax(a, 0), true],
  logSoftmaxInnerAxis: ({ a }) => [G.logSoftmax(a, 0), true],
  conv2d: ({ g, x }) => [G.conv2d(x, g.input('w', [3, 4, 3, 3]), g.input('bias', [3]), { padding: 1 }), true],
  convTranspose2d: ({ x, g }) => [G.convTranspose2d(x, g.input('wt', [4, 2, 2, 2]), g.input('bt', [2]), { stride: 2 }), true],
  maxPool2d: ({ x }) => [G.maxPool2d(x, { kernel: 2 }), true],
  avgPool2d: ({ x }) => [G.avgPool2d(x, { kernel: 3, stride: 2, padding: 1 }), true],
  batchNorm2d: ({ g, x }) => [G.batchNorm2d(x, batchNormParams(g)), true],
  layerNorm: ({ a, b }) => [G.layerNorm(a, G.reduceMean(b, [0]), G.reduceMax(b, [0])), true],
  l2Normalize: ({ a }) => [G.l2Normalize(a), true],
  resizeNearest: ({ x }) => [G.resizeNearest(x, [9, 4]), true],
  dropout: ({ a }) => [G.dropout(a, 0.5), true],
  after: ({ a, b }) => [G.after(a, b), true],
  // not in ops/index (it calls autodiff): checkpoint.ts
  checkpoint: ({ a, b }) => [G.checkpoint([a, b], ([x, y]) => G.softmax(G.mul(x!, G.exp(y!)))), true],
};

function batchNormParams(g: Graph): G.BatchNormParams {
  const c = (name: string) => g.state(name, [4], () => new Float32Array(4).fill(1));
  return {
    weight: g.input('bn.weight', [4]),
    bias: g.input('bn.bias', [4]),
    runningMean: c('bn.running_mean'),
    runningVar: c('bn.running_var'),
  };
}

/** Build the tour in a graph and differentiate the loss of its differentiable results. */
function runTour(training: boolean, only?: readonly string[]): Graph {
  const g = new Graph({ training });
  const t: Inputs = { g, x: g.input('x', [2, 4, 6, 6]), a: g.input('a', [3, 4]), b: g.input('b', [3, 4]) };
  const losses: Tensor[] = [];
  for (const [name, call] of Object.entries(tour)) {
    if (only && !only.includes(name)) continue;
    const [out, differentiable] = call(t);
    if (differentiable) losses.push(...[out].flat().map((y) => G.reduceSum(y)));
  }
  const wrt = g.inputs.filter((i) => i.dtype === 'float32' && !i.name.startsWith('dropout_mask'));
  const grads = gradients(G.sumAll(...losses), wrt);
  expect(wrt.filter((_, i) => grads[i] === null && !only).map((i) => i.name)).toEqual([]);
  return g;
}

function ruleOf(node: Node) {
  const grad = node.gradient;
  return grad && typeof grad !== 'function' ? grad.rule : undefined;
}

describe('gradient rules: one table', () => {
  // Training: BatchNorm with batch statistics, MaxPool with indices. Eval: BatchNorm with running statistics.
  const nodes = [...runTour(true).nodes, ...runTour(false, ['batchNorm2d']).nodes];

  test('the tour calls every op that ops/index exports', () => {
    const exported = Object.entries(ops)
      .filter(([name, v]) => typeof v === 'function' && !NOT_OPS.has(name))
      .map(([name]) => name);
    expect(exported.filter((name) => !(name in tour))).toEqual([]);
  });

  test("every node, forward and backward, has its op's registered rule or is a declared non-differentiable op", () => {
    const offenders = nodes.filter((n) => {
      if (n.stopsGradient) return false;
      if (!n.gradient) return !NO_GRADIENT.has(n.op);
      const rule = ruleOf(n);
      return !rule || GRADIENT_RULES.get(rule.name) !== rule || rule.op !== n.op;
    });
    expect(
      offenders.map(
        (n) => `${n.op} (${typeof n.gradient === 'function' ? 'unnamed closure' : n.gradient ? 'unregistered rule' : 'no rule'})`,
      ),
    ).toEqual([]);
  });

  test('the tour meets every registered rule and every declared non-differentiable op', () => {
    const met = new Set(nodes.map((n) => ruleOf(n)?.name).filter((name) => name !== undefined));
    expect([...GRADIENT_RULES.keys()].filter((name) => !met.has(name))).toEqual([]);
    const ops = new Set(nodes.map((n) => n.op));
    expect([...NO_GRADIENT.keys()].filter((op) => !ops.has(op))).toEqual([]);
  });

  test('listGradientRules: every rule with its ONNX op, inputs and a one-line formula; no op both with and without one', () => {
    const list = listGradientRules();
    expect(list.map((r) => r.name).sort()).toEqual([...GRADIENT_RULES.keys()].sort());
    for (const r of list) {
      expect(r.name === r.op || r.name.startsWith(`${r.op}.`)).toBe(true);
      expect(r.grads.length).toBeGreaterThan(0);
      expect(r.formula).toMatch(/^\S.*\S$/);
      expect(r.formula).not.toContain('\n');
      expect(NO_GRADIENT.has(r.op)).toBe(false);
      expect(r.package).toBe('@mcsc/graph'); // only this package is loaded here
    }
    expect(list.map((r) => r.op)).toEqual(
      expect.arrayContaining(['Softmax', 'LogSoftmax', 'LayerNormalization', 'BatchNormalization', 'Conv', 'Resize']),
    );
  });

  test('an op without a gradient rule fails loudly, naming the op', () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    const [y] = g.addNode({ op: 'Cos', inputs: [x], outputs: [{ shape: [3], dtype: 'float32' }] });
    expect(() => gradients(G.reduceSum(y!), [x])).toThrow(/cannot differentiate through Cos/);
  });

  test('a rule missing from the table fails loudly, naming the op and the rule', () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    const COS = defineGradient<Tensor>({
      name: 'Cos',
      op: 'Cos',
      grads: ['input'],
      formula: 'dx = −gy·sin x',
      backward: ([gy]) => [() => gy!],
    });
    const [y] = g.addNode({ op: 'Cos', inputs: [x], outputs: [{ shape: [3], dtype: 'float32' }], gradient: COS.with(x) });
    expect(() => gradients(G.reduceSum(y!), [x])).toThrow(/Cos uses the gradient rule 'Cos'.*not the one registered.*ops\/rules\.ts/);
  });

  test('a rule attached to a node of another op is refused', () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    const exp = G.exp(x);
    const rule = ruleOf(exp.source.kind === 'op' ? exp.source.node : (undefined as never))!;
    const [y] = g.addNode({ op: 'Sin', inputs: [x], outputs: [{ shape: [3], dtype: 'float32' }], gradient: { rule, ctx: x } });
    expect(() => gradients(G.reduceSum(y!), [x])).toThrow(/Sin uses the gradient rule 'Exp' \(op Exp\)/);
  });
});

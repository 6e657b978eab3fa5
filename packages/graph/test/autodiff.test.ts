import * as ort from 'onnxruntime-node';
import {
  Graph,
  argMax,
  cast,
  defineGradient,
  emitModel,
  exp,
  linear,
  gradients,
  greater,
  listGradientRules,
  liveNodes,
  mul,
  neg,
  oneHot,
  reduceSum,
  registerGradientRules,
  stopGradient,
  where,
  add,
  type Tensor,
} from '../src/index';

async function run(g: Graph, outputs: Record<string, ReturnType<typeof mul>>, feeds: Record<string, Float32Array>) {
  const s = await ort.InferenceSession.create(emitModel(g, { outputs }).bytes);
  const r = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v, [v.length])])));
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
}

describe('autodiff', () => {
  test('fan-out accumulates: d/dx (x·x + 3x) = 2x + 3', async () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    const [dx] = gradients(reduceSum(add(mul(x, x), mul(x, 3))), [x]);
    const r = await run(g, { dx: dx! }, { x: Float32Array.of(1, -2, 0.5) });
    expect(r.dx).toEqual([5, -1, 4]);
  });

  test('stopGradient cuts the path: d/dx (x · stop(x)) = stop(x)', async () => {
    const g = new Graph();
    const x = g.input('x', [2]);
    const [dx] = gradients(reduceSum(mul(x, stopGradient(x))), [x]);
    const r = await run(g, { dx: dx! }, { x: Float32Array.of(3, -4) });
    expect(r.dx).toEqual([3, -4]);
  });

  test('a tensor the loss does not depend on gets null', () => {
    const g = new Graph();
    const x = g.input('x', [2]);
    const y = g.input('y', [2]);
    expect(gradients(reduceSum(exp(x)), [x, y])[1]).toBeNull();
  });

  test('unused branches are pruned: no gradient nodes for tensors outside wrt', () => {
    const g = new Graph();
    const x = g.input('x', [4]);
    const image = g.input('image', [4]);
    const loss = reduceSum(mul(exp(image), x));
    const before = g.nodes.length;
    gradients(loss, [x]);
    // d/dx = exp(image)·1: a Mul by the seed and an Expand, not a derivative of exp.
    const added = g.nodes.slice(before).map((n) => n.op);
    expect(added).not.toContain('Exp');
    expect(added.length).toBeLessThan(6);
  });

  test.each([
    ['ArgMax', (x: ReturnType<Graph['input']>) => oneHot(argMax(x, 0, true), 3)],
    ['Greater', (x: ReturnType<Graph['input']>) => where(greater(x, 0), 1, 0)],
  ])('differentiating through %s is refused with a clear message', (op, f) => {
    const g = new Graph();
    const x = g.input('x', [3]);
    const loss = reduceSum(mul(f(x), x));
    expect(() => gradients(loss, [x])).toThrow(new RegExp(`cannot differentiate through ${op}.*stopGradient`));
  });

  test('…and accepted once the path is stopped', () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    const pseudo = cast(oneHot(argMax(stopGradient(x), 0, true), 3), 'float32');
    expect(() => gradients(reduceSum(mul(pseudo, x)), [x])).not.toThrow();
  });

  test('loss must be a float scalar', () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    expect(() => gradients(x, [x])).toThrow(/float32 scalar, got float32\[3\]/);
  });

  test('shape errors name the op and the shapes', () => {
    const g = new Graph();
    expect(() => add(g.input('a', [2, 3]), g.input('b', [4]))).toThrow('Add: shapes [2, 3] and [4] do not broadcast');
  });

  test('liveNodes only keeps what outputs need', () => {
    const g = new Graph();
    const x = g.input('x', [2]);
    const y = exp(x);
    mul(x, 2); // dead
    expect(liveNodes(g, [y]).map((n) => n.op)).toEqual(['Exp']);
  });

  test('a rule registered from outside the package is listed and used; a taken name is refused', async () => {
    // d/dx of a "Neg" node whose rule passes the gradient through negated twice: the custom rule, not the library's.
    const NEG_TWICE = defineGradient<Tensor>({
      name: 'Neg.test',
      op: 'Neg',
      grads: ['X'],
      formula: 'dx = −(−gy)',
      backward: ([gy]) => [() => neg(neg(gy!))],
    });
    registerGradientRules(NEG_TWICE);
    registerGradientRules(NEG_TWICE); // the same rule again: fine
    expect(listGradientRules().map((r) => r.name)).toContain('Neg.test');
    const clash = defineGradient({ name: 'Neg.test', op: 'Neg', grads: ['X'], formula: 'dx = gy', backward: ([gy]) => [() => gy!] });
    expect(() => registerGradientRules(clash)).toThrow(/'Neg.test' \(op Neg\) is already registered/);

    const g = new Graph();
    const x = g.input('x', [2]);
    const [y] = g.addNode({ op: 'Neg', inputs: [x], outputs: [{ shape: [2], dtype: 'float32' }], gradient: NEG_TWICE.with(x) });
    const [dx] = gradients(reduceSum(mul(y!, x)), [x]);
    // d/dx Σ (−x)·x with the rule's dy/dx = +1: x·1 + (−x) = 0.
    const r = await run(g, { dx: dx! }, { x: Float32Array.of(3, -4) });
    expect(r.dx).toEqual([0, 0]);
  });

  test("a layer's input gradient waits for its weight and bias gradients (so no order leaves them to the end)", () => {
    const g = new Graph();
    const x = g.input('x', [8, 3]);
    const [w1, b1, w2, b2] = [g.input('w1', [5, 3]), g.input('b1', [5]), g.input('w2', [2, 5]), g.input('b2', [2])];
    const loss = reduceSum(exp(linear(linear(x, w1, b1), w2, b2)));
    const [dx, dw1, db1, dw2, db2] = gradients(loss, [x, w1, b1, w2, b2]);
    const ancestors = (t: Tensor) => {
      const seen = new Set<number>();
      const stack = [t];
      while (stack.length > 0) {
        const u = stack.pop()!;
        if (seen.has(u.id)) continue;
        seen.add(u.id);
        if (u.source.kind === 'op') stack.push(...u.source.node.inputs.filter((v): v is Tensor => v !== null));
      }
      return seen;
    };
    const beforeX = ancestors(dx!);
    for (const d of [dw1, db1, dw2, db2]) expect(beforeX.has(d!.id)).toBe(true);
    // the weight gradients do not wait for the input's (the smaller gradients go first)
    expect(ancestors(dw2!).has(dx!.id)).toBe(false);
    // (the values are those of the rules: every finite-difference check in ops.gradcheck.test.ts runs through this)
  });
});

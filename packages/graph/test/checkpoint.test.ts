/**
 * checkpoint(): the same gradients as the block differentiated directly, none of the block's forward
 * tensors read by the backward pass, and a clear error for a block that captures what it should take
 * as an input or would rebuild to other values.
 */
import * as ort from 'onnxruntime-node';
import * as G from '../src/index';
import { Graph, Random, checkpoint, emitModel, gradients, type Tensor } from '../src/index';
import { randomData } from './gradcheck';

/** Two pre-norm attention-like blocks on tokens [2, 5, 4]: x + softmax(LN(x)·W·LN(x)ᵀ)·LN(x). */
function block([x, gamma, beta, w]: Tensor[]): Tensor {
  const h = G.layerNorm(x!, gamma!, beta!);
  const attn = G.softmax(G.matmul(G.linear(h, w!), G.transposeLast(h)));
  return G.add(x!, G.matmul(attn, h));
}

function build(checkpointed: boolean) {
  const g = new Graph({ training: true });
  const x = g.input('x', [2, 5, 4]);
  const params = [g.input('gamma', [4]), g.input('beta', [4]), g.input('w', [4, 4])];
  const first = g.nodes.length;
  let y = x;
  for (let i = 0; i < 2; i++) y = checkpointed ? checkpoint([y, ...params], block) : block([y, ...params]);
  const forwardEnd = g.nodes.length;
  const loss = G.reduceSum(G.mul(y, G.sigmoid(y)));
  const grads = gradients(loss, [x, ...params]);
  return { g, x, params, loss, grads: grads.map((d) => d!), forward: g.nodes.slice(first, forwardEnd) };
}

async function evaluate({ g, loss, grads }: ReturnType<typeof build>, feeds: Record<string, Float32Array>) {
  const outputs = Object.fromEntries([['loss', loss], ...grads.map((d, i) => [`d${i}`, d] as const)]);
  const session = await ort.InferenceSession.create(emitModel(g, { outputs }).bytes);
  const shapes: Record<string, number[]> = { x: [2, 5, 4], gamma: [4], beta: [4], w: [4, 4] };
  const result = await session.run(
    Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v, shapes[k]!)])),
  );
  return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
}

describe('checkpoint', () => {
  test('gives the gradients of the block itself, for every input', async () => {
    const r = new Random(3);
    const feeds = { x: randomData([2, 5, 4], r), gamma: randomData([4], r), beta: randomData([4], r), w: randomData([4, 4], r) };
    const [plain, rebuilt] = [await evaluate(build(false), feeds), await evaluate(build(true), feeds)];
    expect(Object.keys(rebuilt).sort()).toEqual(['d0', 'd1', 'd2', 'd3', 'loss']);
    for (const key of Object.keys(plain)) {
      const scale = Math.max(...plain[key]!.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      rebuilt[key]!.forEach((v, i) => expect(Math.abs(v - plain[key]![i]!)).toBeLessThanOrEqual(1e-6 * scale));
    }
  });

  test("the backward pass reads none of the block's forward tensors, only its inputs", () => {
    const { g, forward } = build(true);
    const checkpoints = forward.filter((n) => n.op === 'Identity' && n.gradientInputs);
    expect(checkpoints).toHaveLength(2);
    const inner = new Set(forward.filter((n) => !checkpoints.includes(n)).flatMap((n) => n.outputs.map((o) => o.id)));
    const backward = g.nodes.slice(forward[forward.length - 1]!.id + 1);
    const readers = backward.filter((n) => n.inputs.some((t) => t && inner.has(t.id)));
    expect(readers.map((n) => n.op)).toEqual([]);
    // without checkpoints the same backward pass reads the block's intermediates (the test can fail)
    const plain = build(false);
    const plainInner = new Set(plain.forward.flatMap((n) => n.outputs.map((o) => o.id)));
    expect(
      plain.g.nodes.slice(plain.forward[plain.forward.length - 1]!.id + 1).some((n) => n.inputs.some((t) => t && plainInner.has(t.id))),
    ).toBe(true);
  });

  test('two independent checkpointed branches are rebuilt one after the other, not side by side', () => {
    const g = new Graph({ training: true });
    const [a, b] = [g.input('a', [2, 5, 4]), g.input('b', [2, 5, 4])];
    const params = [g.input('gamma', [4]), g.input('beta', [4]), g.input('w', [4, 4])];
    const loss = G.add(
      G.reduceSum(checkpoint([a, ...params], block)),
      G.reduceSum(
        G.mlp(
          checkpoint([b, ...params], block),
          { weight: G.reshape(params[2]!, [4, 4]), bias: params[0]! },
          { weight: params[2]!, bias: params[1]! },
        ),
      ),
    );
    const [da, db] = gradients(loss, [a, b]);
    const ancestors = (t: Tensor) => {
      const seen = new Set<number>();
      for (const stack = [t]; stack.length > 0; ) {
        const u = stack.pop()!;
        if (seen.has(u.id)) continue;
        seen.add(u.id);
        if (u.source.kind === 'op') stack.push(...u.source.node.inputs.filter((v): v is Tensor => v !== null));
      }
      return seen;
    };
    // built in reverse: b's branch (and its mlp) first, so a's rebuild waits for b's gradient
    expect(ancestors(da!).has(db!.id)).toBe(true);
    expect(ancestors(db!).has(da!.id)).toBe(false);
  });

  test('refuses a block that captures a tensor it should take as an input, naming it', () => {
    const g = new Graph({ training: true });
    const x = g.input('x', [3]);
    const w = g.input('w', [3]);
    expect(() => checkpoint([x], ([x]) => G.mul(x!, w))).toThrow(
      /checkpoint: the block reads w: float32\[3\], which is neither one of its inputs nor a constant/,
    );
    expect(() => checkpoint([x], ([x]) => G.mul(x!, g.constant([1, 2, 3], [3])))).not.toThrow();
  });

  test('refuses dropout inside the block and a block that returns its input', () => {
    const g = new Graph({ training: true });
    const x = g.input('x', [3]);
    expect(() => checkpoint([x], ([x]) => G.dropout(G.exp(x!), 0.5))).toThrow(/checkpoint: the block reads dropout_mask/);
    expect(() => checkpoint([x], ([x]) => x!)).toThrow(/checkpoint: the block must compute a float32 tensor from its inputs/);
    expect(() => checkpoint([], () => x)).toThrow(/at least one input/);
  });
});

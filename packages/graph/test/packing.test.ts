/** Packed parameters (packing.ts): the layout plan, pack/unpack, and the graph-side resolver. */
import { Graph, emitModel, gradients, mul, sumAll, type ParamGroup, type Tensor } from '../src/index';
import { nodeRuntime } from '../src/node';
import { joinPackedStates, pack, packedParamResolver, planPacking, splitPackedStates, unpack } from '../src/packing';
import type { NamedTensor } from '../src/safetensors';

const cnn: ParamGroup = { name: 'cnn', params: ['encoder.'] };
const head: ParamGroup = { name: 'head', params: ['head.'] };
const zeros = () => new Float32Array(0);

/** Three parameters of two groups, interleaved in creation order. */
function params(): Tensor[] {
  const g = new Graph();
  return [g.param('encoder.w', [2, 3], zeros), g.param('head.w', [4], zeros), g.param('encoder.b', [2], zeros)];
}

describe('packing', () => {
  test('planPacking lays out each group in creation order: offsets, sizes, totals, input names', () => {
    const plan = planPacking(params(), [cnn, head, cnn]);
    expect(plan.map((p) => [p.group.name, p.input, p.total])).toEqual([
      ['cnn', 'params.cnn', 8],
      ['head', 'params.head', 4],
    ]);
    expect(plan[0]!.members).toEqual([
      { name: 'encoder.w', shape: [2, 3], offset: 0, size: 6 },
      { name: 'encoder.b', shape: [2], offset: 6, size: 2 },
    ]);
    expect(plan[1]!.members).toEqual([{ name: 'head.w', shape: [4], offset: 0, size: 4 }]);
    expect(planPacking([], [])).toEqual([]);
  });

  test('a group over maxValues is cut at parameter boundaries into params.<group>#k; a larger parameter gets a vector of its own', () => {
    const g = new Graph();
    const sizes = [3, 4, 2, 9, 1];
    const ps = sizes.map((n, i) => g.param(`encoder.p${i}`, [n], zeros));
    const plan = planPacking(
      ps,
      ps.map(() => cnn),
      6,
    );
    expect(plan.map((p) => [p.input, p.groupInput, p.groupOffset, p.total, p.members.map((m) => m.name)])).toEqual([
      ['params.cnn#0', 'params.cnn', 0, 3, ['encoder.p0']],
      ['params.cnn#1', 'params.cnn', 3, 6, ['encoder.p1', 'encoder.p2']],
      ['params.cnn#2', 'params.cnn', 9, 9, ['encoder.p3']],
      ['params.cnn#3', 'params.cnn', 18, 1, ['encoder.p4']],
    ]);
    // under the limit: one vector named after the group, as before
    expect(
      planPacking(
        ps,
        ps.map(() => cnn),
        19,
      ).map((p) => [p.input, p.total]),
    ).toEqual([['params.cnn', 19]]);
  });

  test("training states hold a split group's moments whole: joinPackedStates and splitPackedStates invert each other", () => {
    const g = new Graph();
    const ps = [g.param('encoder.a', [3], zeros), g.param('encoder.b', [2], zeros), g.param('head.w', [4], zeros)];
    const plan = planPacking(ps, [cnn, cnn, head], 3);
    expect(plan.map((p) => p.input)).toEqual(['params.cnn#0', 'params.cnn#1', 'params.head']);
    const t = (...v: number[]): NamedTensor => ({ dtype: 'float32', shape: [v.length], data: Float32Array.from(v) });
    const own = new Map([
      ['encoder.a', t(1, 2, 3)],
      ['optimizer.exp_avg.params.cnn#0', t(1, 2, 3)],
      ['optimizer.exp_avg.params.cnn#1', t(4, 5)],
      ['optimizer.exp_avg.params.head', t(6, 7, 8, 9)],
    ]);
    const joined = joinPackedStates(plan, own);
    expect([...joined.keys()].sort()).toEqual(['encoder.a', 'optimizer.exp_avg.params.cnn', 'optimizer.exp_avg.params.head']);
    expect([...joined.get('optimizer.exp_avg.params.cnn')!.data]).toEqual([1, 2, 3, 4, 5]);
    const split = splitPackedStates(plan, own, joined);
    expect([...split.keys()].sort()).toEqual([...own.keys()].sort());
    for (const [name, v] of own) expect([name, [...split.get(name)!.data]]).toEqual([name, [...v.data]]);
    // a whole state of another size is left for the strict load to report
    const wrong = new Map([['optimizer.exp_avg.params.cnn', t(1, 2)]]);
    expect([...splitPackedStates(plan, own, wrong).keys()]).toEqual(['optimizer.exp_avg.params.cnn']);
  });

  test('pack then unpack gives each parameter back; unpacked arrays are views of the flat vector', () => {
    const [group] = planPacking(params(), [cnn, head, cnn]);
    const values = new Map([
      ['encoder.w', Float32Array.of(1, 2, 3, 4, 5, 6)],
      ['encoder.b', Float32Array.of(7, 8)],
    ]);
    const flat = pack(group!, (name) => values.get(name)!);
    expect([...flat]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const back = unpack(group!, flat);
    expect([...back.keys()]).toEqual(['encoder.w', 'encoder.b']);
    for (const [name, v] of values) expect(back.get(name)).toEqual(v);
    flat[6] = -1;
    expect(back.get('encoder.b')![0]).toBe(-1);
    expect(back.get('encoder.w')!.buffer).toBe(flat.buffer);
  });

  test("pack feeds back the vector its members are views of (a step's output) without copying; anything else is copied", () => {
    const [group] = planPacking(params(), [cnn, head, cnn]);
    const updated = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8); // the updated vector a step returns
    const values = new Map(unpack(group!, updated));
    const again = pack(group!, (name) => values.get(name)!);
    expect(again.buffer).toBe(updated.buffer);
    expect([...again]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // one member replaced (loaded weights): a fresh vector with the new values
    values.set('encoder.b', Float32Array.of(-7, -8));
    const copied = pack(group!, (name) => values.get(name)!);
    expect(copied.buffer).not.toBe(updated.buffer);
    expect([...copied]).toEqual([1, 2, 3, 4, 5, 6, -7, -8]);
    // views of a larger buffer, or out of order, are copied too
    const larger = new Float32Array(16);
    larger.set([1, 2, 3, 4, 5, 6, 7, 8]);
    const inLarger = new Map(unpack(group!, larger.subarray(0, 8)));
    expect(pack(group!, (name) => inLarger.get(name)!).buffer).not.toBe(larger.buffer);
    const swapped = new Map([
      ['encoder.w', updated.subarray(2, 8)],
      ['encoder.b', updated.subarray(0, 2)],
    ]);
    expect([...pack(group!, (name) => swapped.get(name)!)]).toEqual([3, 4, 5, 6, 7, 8, 1, 2]);
  });

  test('the resolver serves packed parameters as views of one flat input; the gradient comes back as one vector', async () => {
    const plan = planPacking(params(), [cnn, head, cnn]);
    const g: Graph = new Graph({ resolveParam: packedParamResolver(plan, () => g) });
    const w = g.param('encoder.w', [2, 3], zeros);
    const hw = g.param('head.w', [4], zeros);
    const b = g.param('encoder.b', [2], zeros);
    const other = g.param('other', [1], zeros); // in no packed group: an ordinary parameter
    expect(g.redirectedParams).toEqual(['encoder.w', 'head.w', 'encoder.b']);
    expect(g.params.map((p) => p.name)).toEqual(['other']);
    expect(g.inputs.map((i) => `${i.name}${JSON.stringify(i.shape)}`)).toEqual(['params.cnn[8]', 'params.head[4]']);
    expect([w.shape, hw.shape, b.shape]).toEqual([[2, 3], [4], [2]]);
    // A Split for the two-member group only; the one-member group is its flat input, reshaped.
    expect(g.nodes.filter((n) => n.op === 'Split')).toHaveLength(1);

    const cW = g.constant(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
    const cB = g.constant(Float32Array.of(-1, -2), [2]);
    const loss = sumAll(mul(w, cW), mul(b, cB), hw, other);
    const [dCnn] = gradients(loss, [g.inputs[0]!]);
    expect(dCnn!.shape).toEqual([8]);
    const model = emitModel(g, { outputs: { w, b, hw, dCnn: dCnn! } });
    const session = await nodeRuntime().createSession(model.bytes);
    const feeds = {
      'params.cnn': { type: 'float32', data: Float32Array.of(10, 11, 12, 13, 14, 15, 16, 17), dims: [8] },
      'params.head': { type: 'float32', data: Float32Array.of(20, 21, 22, 23), dims: [4] },
    };
    const out = await session.run(Object.fromEntries(model.inputs.map((t) => [t.name, feeds[t.name as keyof typeof feeds]])));
    await session.release();
    expect([...(out.w!.data as Float32Array)]).toEqual([10, 11, 12, 13, 14, 15]);
    expect([...(out.b!.data as Float32Array)]).toEqual([16, 17]);
    expect([...(out.hw!.data as Float32Array)]).toEqual([20, 21, 22, 23]);
    expect([...(out.dCnn!.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6, -1, -2]);
  });
});

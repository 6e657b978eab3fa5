/**
 * `Graph.scope`: node names carry the scope they were built in (`net/Conv_3`), gradient nodes their
 * forward node's, the training session's packing and update are `optimizer/…`, and nothing but the
 * names changes in the emitted model; onnxruntime's profile (`nodeRuntime({ profilePrefix })`) reports
 * the scoped names.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { Graph, McscError, Random, TrainingSession, emitModel, gradients, mul, nodeRuntime, reduceSum, relu } from '../src/node';
import { discBatch, tinyNet } from './tiny-net';

const { onnx } = onnxProto;

/** The tiny net's loss and gradients, its forward built in scope 'net' (or none), emitted. */
function tinyModel(scoped: boolean): { g: Graph; forwardNodes: number; bytes: Uint8Array } {
  const g = new Graph({ training: true });
  const build = tinyNet({ batch: 2, size: 8 });
  const built = scoped ? g.scope('net', () => build(g)) : build(g);
  const forwardNodes = g.nodes.length;
  const grads = gradients(built.loss!, g.params);
  const outputs: Record<string, (typeof g.params)[number]> = { loss: built.loss! };
  g.params.forEach((p, i) => {
    if (grads[i]) outputs[`grad:${p.name}`] = grads[i]!;
  });
  return { g, forwardNodes, bytes: emitModel(g, { outputs }).bytes };
}

describe('Graph.scope', () => {
  test('nested scopes join with /; nodes outside any scope have none; names are checked', () => {
    const g = new Graph();
    const x = g.input('x', [2]);
    const a = g.scope('outer', () => {
      const y = relu(x);
      return g.scope('inner.1', () => mul(y, 2));
    });
    const b = reduceSum(a);
    const scopeOf = (t: typeof x) => (t.source.kind === 'op' ? t.source.node.scope : 'not an op');
    expect(scopeOf(a)).toBe('outer/inner.1');
    expect(g.nodes.map((n) => n.scope)).toEqual(['outer', 'outer/inner.1', undefined]);
    expect(scopeOf(b)).toBeUndefined();
    expect(g.scopePath).toBeUndefined();
    expect(() => g.scope('a/b', () => 0)).toThrow(McscError);
    expect(() => g.scope('', () => 0)).toThrow("a scope name is letters, digits, '_', '.' or '-', got ''");
  });

  test('gradient nodes are built in their forward node scope: a net built in one scope is all in it', () => {
    const { g, forwardNodes } = tinyModel(true);
    expect(g.nodes.length).toBeGreaterThan(2 * forwardNodes);
    expect(new Set(g.nodes.map((n) => n.scope))).toEqual(new Set(['net']));
  });

  test('a scope renames nodes and changes nothing else in the emitted model', () => {
    const plain = onnx.ModelProto.decode(tinyModel(false).bytes);
    const scoped = onnx.ModelProto.decode(tinyModel(true).bytes);
    const names = scoped.graph!.node!.map((n) => n.name!);
    const own = names.filter((n) => !n.startsWith('output_'));
    expect(own.length).toBeGreaterThan(100);
    for (const name of own) expect(name).toMatch(/^net\/[A-Za-z]+_\d+$/);
    for (const n of scoped.graph!.node!) n.name = n.name!.replace(/^net\//, '');
    const same = Buffer.from(onnx.ModelProto.encode(scoped).finish()).equals(Buffer.from(onnx.ModelProto.encode(plain).finish()));
    expect(same).toBe(true);
  });

  test("a training session's packing and AdamW update are scope 'optimizer'; onnxruntime's profile reports the scoped names", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcsc-scope-'));
    try {
      const build = tinyNet({ batch: 2, size: 8 });
      const session = await TrainingSession.create({
        runtime: nodeRuntime({ profilePrefix: join(dir, 'tiny') }),
        build: (g) => g.scope('net', () => build(g)),
        optimizer: { kind: 'adamw', groups: [{ name: 'net', params: () => true, weightDecay: 1e-4 }] },
      });
      const { image, label } = discBatch(new Random(3), 2, 8);
      await session.step({ image, label }, { lr: 1e-3 });
      await session.release();
      const files = readdirSync(dir);
      expect(files).toEqual([expect.stringMatching(/^tiny_.*\.json$/)]);
      const events = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as { cat: string; name: string }[];
      const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time')).map((e) => e.name);
      const scopes = new Set(kernels.filter((n) => n.includes('/')).map((n) => n.slice(0, n.indexOf('/'))));
      expect(scopes).toEqual(new Set(['net', 'optimizer']));
      // Unscoped: only the graph's output Identities and what onnxruntime's graph optimizer inserts.
      expect(kernels.filter((n) => n.startsWith('net/')).length).toBeGreaterThan(0.9 * kernels.length - 40);
      expect(kernels.filter((n) => n.startsWith('optimizer/')).map((n) => n.split('/')[1]!.split('_')[0])).toEqual(
        expect.arrayContaining(['Split', 'Concat', 'Sqrt', 'Div']),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  type BuildFn,
  type Graph,
  Random,
  TrainingSession,
  batchNorm2d,
  decodeSafetensors,
  encodeSafetensors,
  reduceSum,
  mul,
  type OptimizerConfig,
  nodeRuntime,
  saveWeights,
  loadWeights,
  saveState,
  loadState,
} from '../src/node';
import { readFileSync, writeFileSync } from 'node:fs';
import { discBatch, tinyNet } from './tiny-net';

const adamw: OptimizerConfig = { kind: 'adamw', groups: [{ name: 'net', params: () => true, weightDecay: 1e-4 }] };
/** A session on onnxruntime-node training `build` with AdamW (seed: the session's default when not given). */
const adamwSession = (build: BuildFn, seed?: number) =>
  TrainingSession.create({ runtime: nodeRuntime(), build, optimizer: adamw, ...(seed === undefined ? {} : { seed }) });
const dir = mkdtempSync(join(tmpdir(), 'mcsc-session-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TrainingSession', () => {
  test('a small conv net (conv, BatchNorm, pooling, transposed conv, softmax CE) learns: loss falls by half', async () => {
    const session = await adamwSession(tinyNet({ batch: 4, size: 16 }), 3);
    const random = new Random(11);
    const losses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const { loss } = await session.step(discBatch(random, 4, 16), { lr: 1e-2 });
      losses.push(loss!);
    }
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(last).toBeLessThan(first / 2);
    const { forwardNodes, trainingNodes } = session.graphStats();
    expect(trainingNodes).toBeGreaterThan(forwardNodes);
  });

  test('the exported inference model reproduces eval outputs to 1e-5, at another batch size', async () => {
    const session = await adamwSession(tinyNet({ batch: 4, size: 16 }), 4);
    const random = new Random(5);
    for (let i = 0; i < 3; i++) await session.step(discBatch(random, 4, 16), { lr: 1e-2 });
    const { image } = discBatch(random, 3, 16); // batch 3, not the training batch of 4
    const evalProbs = (await session.evaluate({ image })).probs!.data as Float32Array;
    const exported = await ort.InferenceSession.create(session.exportInference());
    expect(exported.inputNames).toEqual(['image']);
    const out = await exported.run({ image: new ort.Tensor('float32', image, [3, 1, 16, 16]) });
    const probs = out.probs!.data as Float32Array;
    expect(probs.length).toBe(3 * 2 * 16 * 16);
    let maxDiff = 0;
    for (let i = 0; i < probs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(probs[i]! - evalProbs[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  test('a saved-and-loaded session continues with identical losses (dropout RNG included)', async () => {
    const build = tinyNet({ batch: 2, size: 16, dropoutP: 0.3 });
    const batches = Array.from({ length: 6 }, (_, i) => discBatch(new Random(100 + i), 2, 16));
    const a = await adamwSession(build, 9);
    for (const b of batches.slice(0, 3)) await a.step(b, { lr: 5e-3 });
    const path = join(dir, 'state.safetensors');
    saveState(a, path, { note: 'test' });
    const continued: number[] = [];
    for (const b of batches.slice(3)) continued.push((await a.step(b, { lr: 5e-3 })).loss!);

    const b = await adamwSession(build, 12345); // other seed: all must come from the file
    expect(loadState(b, path).note).toBe('test');
    expect(b.stepCount).toBe(3);
    const resumed: number[] = [];
    for (const batch of batches.slice(3)) resumed.push((await b.step(batch, { lr: 5e-3 })).loss!);
    expect(resumed).toEqual(continued);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('parameters packed in several vectors (maxPackedValues) train to the same values, and states move between the two', async () => {
    const build = tinyNet({ batch: 2, size: 8 });
    const create = (maxPackedValues?: number) =>
      TrainingSession.create({ runtime: nodeRuntime(), build, optimizer: adamw, seed: 4, ...(maxPackedValues ? { maxPackedValues } : {}) });
    const [whole, split] = [await create(), await create(200)];
    expect(whole.graphStats().trainingNodes).toBeLessThan(split.graphStats().trainingNodes); // more vectors, more update nodes
    const r = new Random(6);
    const batches = Array.from({ length: 4 }, () => discBatch(r, 2, 8));
    const losses = async (s: TrainingSession, from: number, to: number) => {
      const out: number[] = [];
      for (let i = from; i < to; i++) out.push((await s.step(batches[i]!, { lr: 1e-2 })).loss!);
      return out;
    };
    const first = await losses(whole, 0, 2);
    expect(await losses(split, 0, 2)).toEqual(first);
    expect(new Set(first).size).toBe(2);
    // a state saved by either session loads into the other: the same names (the group's moments whole)
    const [fromWhole, fromSplit] = [whole.exportState(), split.exportState()];
    expect([...decodeSafetensors(fromSplit).tensors.keys()].sort()).toEqual([...decodeSafetensors(fromWhole).tensors.keys()].sort());
    split.importState(fromWhole);
    whole.importState(fromSplit);
    const [a, b] = [await losses(whole, 2, 4), await losses(split, 2, 4)];
    expect(b).toEqual(a);
    for (const [name, w] of whole.weights()) expect([name, [...w.data]]).toEqual([name, [...split.weights().get(name)!.data]]);
    await whole.release();
    await split.release();
  });

  test('BatchNorm running statistics follow PyTorch: momentum 0.1, unbiased variance', async () => {
    const n = 3,
      c = 2,
      hw = 4;
    const x = Float32Array.from({ length: n * c * hw }, (_, i) => Math.sin(i * 1.7) * 2 + (i % 5));
    const session = await TrainingSession.create({
      runtime: nodeRuntime(),
      build: (g: Graph) => {
        const input = g.input('x', [n, c, 2, 2]);
        const bn = {
          weight: g.param('bn.weight', [c], () => Float32Array.of(1, 1)),
          bias: g.param('bn.bias', [c], () => Float32Array.of(0, 0)),
          runningMean: g.state('bn.running_mean', [c], () => Float32Array.of(0, 0)),
          runningVar: g.state('bn.running_var', [c], () => Float32Array.of(1, 1)),
          numBatchesTracked: g.state('bn.num_batches_tracked', [], () => new BigInt64Array(1), 'int64'),
        };
        return { loss: reduceSum(mul(batchNorm2d(input, bn), 0)) };
      },
      optimizer: { kind: 'sgd', groups: [{ name: 'all', params: () => true }] },
    });
    await session.step({ x }, { lr: 0 });
    for (let ch = 0; ch < c; ch++) {
      const vals: number[] = [];
      for (let b = 0; b < n; b++) for (let k = 0; k < hw; k++) vals.push(x[(b * c + ch) * hw + k]!);
      const mean = vals.reduce((a, v) => a + v, 0) / vals.length;
      const unbiased = vals.reduce((a, v) => a + (v - mean) ** 2, 0) / (vals.length - 1);
      expect(session.weights().get('bn.running_mean')!.data[ch]).toBeCloseTo(0.1 * mean, 5);
      expect(session.weights().get('bn.running_var')!.data[ch]).toBeCloseTo(0.9 + 0.1 * unbiased, 5);
    }
    expect(session.weights().get('bn.num_batches_tracked')!.data[0]).toBe(1n);
  });

  test('weights save by name and load strictly; mismatches are reported together', async () => {
    const build = tinyNet({ batch: 2, size: 8 });
    const a = await adamwSession(build, 1);
    const path = join(dir, 'weights.safetensors');
    saveWeights(a, path);
    const names = [...decodeSafetensors(readFileSync(path)).tensors.keys()];
    expect(names).toContain('enc0.bn.running_var');
    expect(names.some((k) => k.startsWith('optimizer.'))).toBe(false);
    const b = await adamwSession(build, 2);
    loadWeights(b, path);
    expect(b.weights().get('head.weight')!.data).toEqual(a.weights().get('head.weight')!.data);

    const { tensors } = decodeSafetensors(readFileSync(path));
    tensors.delete('up.bias');
    tensors.set('head.weight', { dtype: 'float32', shape: [3], data: new Float32Array(3) });
    tensors.set('decoder.out_conv.weight', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, encodeSafetensors(tensors));
    expect(() => loadWeights(b, bad)).toThrow(
      /missing: up\.bias[\s\S]*unexpected: decoder\.out_conv\.weight[\s\S]*shape mismatch: head\.weight: file \[3\], model \[2, 8, 1, 1\]/,
    );
    tensors.set('head.weight', a.weights().get('head.weight')!);
    tensors.set('up.bias', a.weights().get('up.bias')!);
    writeFileSync(bad, encodeSafetensors(tensors));
    expect(() => loadWeights(b, bad, { ignore: [/^decoder\.out_conv\./] })).not.toThrow();
  });

  test('feeds are checked by name, dtype and shape', async () => {
    const session = await adamwSession(tinyNet({ batch: 2, size: 8 }));
    await expect(session.step({ image: new Float32Array(128) }, { lr: 1e-3 })).rejects.toThrow("missing feed 'label' (int64[2, 8, 8])");
    await expect(session.step({ image: new Float32Array(10), label: new BigInt64Array(128) }, { lr: 1e-3 })).rejects.toThrow(
      "feed 'image' is Float32Array of 10 values, expected float32[2, 1, 8, 8]",
    );
  });

  test('an unknown device fails with the list of accepted ones; a session without a runtime says what to pass', async () => {
    expect(() => nodeRuntime({ device: 'tpu' as never })).toThrow(
      "nodeRuntime: device must be one of 'cpu', 'cuda' on onnxruntime-node, got 'tpu'",
    );
    await expect(TrainingSession.create({ build: tinyNet({ batch: 2, size: 8 }) } as never)).rejects.toThrow(
      /options.runtime must be a GraphRuntime/,
    );
  });

  test('safetensors: corrupt input names the source', () => {
    expect(() => decodeSafetensors(Uint8Array.of(1, 2, 3), 'w.safetensors')).toThrow('w.safetensors: not a valid safetensors file');
  });
});

test('training a max-pooling graph on WebGPU is refused (its MaxPool returns no Indices), before any session is made', async () => {
  let sessions = 0;
  const webgpu = {
    description: 'fake webgpu',
    device: 'webgpu' as const,
    createSession: async () => {
      sessions++;
      throw new Error('not reached');
    },
  };
  await expect(TrainingSession.create({ runtime: webgpu, build: tinyNet({ batch: 2, size: 8 }), optimizer: adamw })).rejects.toThrow(
    /WebGPU MaxPool kernel does not write the arg-max Indices/,
  );
  expect(sessions).toBe(0);
});

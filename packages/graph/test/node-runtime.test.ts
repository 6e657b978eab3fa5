import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { McscError, type OptimizerConfig, Random, TrainingSession, nodeRuntime, type NodeRuntimeOptions } from '../src/node';
import { discBatch, tinyNet } from './tiny-net';

const adamw: OptimizerConfig = { kind: 'adamw', groups: [{ name: 'net', params: () => true, weightDecay: 1e-4 }] };

afterEach(() => jest.restoreAllMocks());

/** Three training steps and an evaluation of the tiny net on a runtime with `options`, recording the options every session got. */
async function run(options: NodeRuntimeOptions) {
  const create = jest.spyOn(ort.InferenceSession, 'create');
  const runtime = nodeRuntime(options);
  const session = await TrainingSession.create({ runtime, build: tinyNet({ batch: 2, size: 8 }), optimizer: adamw, seed: 7 });
  const random = new Random(3);
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) losses.push((await session.step(discBatch(random, 2, 8), { lr: 1e-2 })).loss!);
  const probs = (await session.evaluate({ image: discBatch(random, 2, 8).image })).probs!.data as Float32Array;
  const sessionOptions = create.mock.calls.map((call) => call[call.length - 1] as ort.InferenceSession.SessionOptions);
  create.mockRestore();
  return { description: runtime.description, losses, probs, sessionOptions };
}

describe('nodeRuntime memory settings', () => {
  test('enableMemPattern and enableCpuMemArena reach every session; the steps give the same losses and outputs as the defaults', async () => {
    const defaults = await run({});
    expect(defaults.sessionOptions.length).toBeGreaterThan(0);
    for (const o of defaults.sessionOptions) {
      expect(o).not.toHaveProperty('enableMemPattern');
      expect(o).not.toHaveProperty('enableCpuMemArena');
    }
    const settings: NodeRuntimeOptions[] = [
      { enableMemPattern: false },
      { enableCpuMemArena: false },
      { enableMemPattern: false, enableCpuMemArena: false },
      { enableMemPattern: true, enableCpuMemArena: true },
    ];
    for (const setting of settings) {
      const r = await run(setting);
      expect(r.sessionOptions.length).toBe(defaults.sessionOptions.length);
      for (const o of r.sessionOptions) {
        expect(o).toMatchObject({ ...setting, graphOptimizationLevel: 'all' });
        if (setting.enableMemPattern === undefined) expect(o).not.toHaveProperty('enableMemPattern');
        if (setting.enableCpuMemArena === undefined) expect(o).not.toHaveProperty('enableCpuMemArena');
      }
      for (let i = 0; i < 3; i++) expect(r.losses[i]).toBeCloseTo(defaults.losses[i]!, 5);
      let maxDiff = 0;
      for (let i = 0; i < r.probs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(r.probs[i]! - defaults.probs[i]!));
      expect(maxDiff).toBeLessThan(1e-5);
    }
    expect((await run({ enableMemPattern: false, enableCpuMemArena: false })).description).toMatch(
      /\(cpu, default threads, memory pattern off, cpu arena off\)$/,
    );
  });

  test("executionMode 'parallel' and interOpThreads reach every session and give the same losses and outputs", async () => {
    const defaults = await run({});
    for (const o of defaults.sessionOptions) expect(o).not.toHaveProperty('executionMode');
    const parallel = await run({ executionMode: 'parallel', interOpThreads: 2, threads: 1 });
    expect(parallel.sessionOptions.length).toBe(defaults.sessionOptions.length);
    for (const o of parallel.sessionOptions)
      expect(o).toMatchObject({ executionMode: 'parallel', interOpNumThreads: 2, intraOpNumThreads: 1 });
    expect(parallel.description).toMatch(/\(cpu, 1 threads, parallel, 2 inter-op threads\)$/);
    // without `threads`, the parallel mode still names its intra-op threads (one per core): onnxruntime's
    // own default pins them to cores, which was slower than one thread per node
    const perCore = await run({ executionMode: 'parallel' });
    for (const o of perCore.sessionOptions)
      expect(o).toMatchObject({ executionMode: 'parallel', intraOpNumThreads: availableParallelism() });
    for (const o of defaults.sessionOptions) expect(o).not.toHaveProperty('intraOpNumThreads');
    for (let i = 0; i < 3; i++) expect(parallel.losses[i]).toBeCloseTo(defaults.losses[i]!, 5);
    let maxDiff = 0;
    for (let i = 0; i < parallel.probs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(parallel.probs[i]! - defaults.probs[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  test('a bad execution mode or thread count is an McscError naming the option', () => {
    const mode = () => nodeRuntime({ executionMode: 'async' as 'parallel' });
    expect(mode).toThrow(McscError);
    expect(mode).toThrow("nodeRuntime: executionMode must be 'sequential' or 'parallel', got async");
    expect(() => nodeRuntime({ executionMode: 'parallel', interOpThreads: 0 })).toThrow(
      'nodeRuntime: interOpThreads must be a positive integer, got 0',
    );
    expect(() => nodeRuntime({ interOpThreads: 2 })).toThrow("nodeRuntime: interOpThreads applies to executionMode 'parallel' only");
  });

  test('a setting that is not a boolean is an McscError', () => {
    const bad = () => nodeRuntime({ enableCpuMemArena: 'no' as unknown as boolean });
    expect(bad).toThrow(McscError);
    expect(bad).toThrow('nodeRuntime: enableCpuMemArena must be true or false, got no');
  });
});

import { Graph } from '@mcsc/graph';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../src/trainer/config';
import { methodConfig } from '../../src/trainer/compare';
import { mcscGraph, NETWORK_PARAMS } from '../../src/trainer/mcsc-graph';
import { RunDir } from '../../src/trainer/run-dir';
import { dataShape, IMAGE_CHANNELS, runSettings } from '../../src/trainer/run-settings';
import { train } from '../../src/trainer/trainer';
import { tinyConfig, tinyData } from './tiny';

const dir = mkdtempSync(join(tmpdir(), 'mcsc-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = { numClasses: 4, inChannels: IMAGE_CHANNELS, classNames: ['bg', 'a', 'b', 'c'] };

describe('run settings', () => {
  test('are derived once from the config and the data: networks, graph, batch, optimizer, runtime, evaluation', async () => {
    const config = tinyConfig({ runtime: { threads: 2 } });
    const dataset = await tinyData();
    expect(dataShape(dataset)).toEqual({ numClasses: dataset.numClasses, inChannels: 1, classNames: dataset.classNames });
    const s = runSettings(config, dataShape(dataset));
    expect(s.networks.cnn).toEqual({ ...config.model.cnn, numClasses: dataset.numClasses, inChannels: 1 });
    expect(s.networks.trans).toEqual({ ...config.model.transformer, numClasses: dataset.numClasses, inChannels: 1 });
    expect([s.graph.cnn, s.graph.transformer]).toEqual([s.networks.cnn, s.networks.trans]);
    expect(s.batch).toBe(4);
    expect(runSettings(methodConfig(config, 'supervised'), data).batch).toBe(2);
    const memory = { enableMemPattern: true, enableCpuMemArena: true }; // the cpu preset's
    expect(s.runtime).toEqual({ device: 'cpu', threads: 2, executionMode: 'sequential', ...memory });
    // the sequential execution mode (onnxruntime's; nodeRuntime then leaves the thread count to it), unless the config says otherwise
    expect(runSettings(tinyConfig(), data).runtime).toEqual({ device: 'cpu', executionMode: 'sequential', ...memory });
    expect(runSettings(tinyConfig({ runtime: { executionMode: 'parallel' } }), data).runtime).toEqual({
      device: 'cpu',
      executionMode: 'parallel',
      ...memory,
    });
    expect(runSettings(tinyConfig({ runtime: { executionMode: 'parallel', interOpThreads: 3 } }), data).runtime).toEqual({
      device: 'cpu',
      executionMode: 'parallel',
      interOpThreads: 3,
      ...memory,
    });
    expect(runSettings(tinyConfig({ runtime: { memPattern: false, cpuMemArena: false } }), data).runtime).toEqual({
      device: 'cpu',
      executionMode: 'sequential',
      enableMemPattern: false,
      enableCpuMemArena: false,
    });
    // the paper preset: the memory pattern and the CPU arena off (the schema's defaults), the rest as cpu
    expect(runSettings(resolveConfig('paper'), data).runtime).toEqual({
      device: 'cpu',
      executionMode: 'sequential',
      enableMemPattern: false,
      enableCpuMemArena: false,
    });
    expect(s.evaluation).toEqual({
      patchSize: 64,
      numClasses: dataset.numClasses,
      classNames: dataset.classNames,
      batch: 16,
      spacing: 'mm',
      emptyClass: 'published',
    });
    expect(s.optimizer).toMatchObject({ kind: 'adamw', betas: [0.9, 0.999], eps: 1e-8 });
    expect(s.optimizer.groups.map((g) => [g.name, g.weightDecay])).toEqual([
      ['cnn', 5e-4],
      ['trans', 5e-4],
      ['proj', 5e-4],
    ]);
  });

  test('parameter names: the optimizer groups and the per-network weights come from one prefix table', () => {
    const { groups } = runSettings(tinyConfig(), data).optimizer;
    const inGroup = (name: string, param: string) => (groups.find((g) => g.name === name)!.params as (n: string) => boolean)(param);
    for (const [param, net] of [
      ['encoder.x', 'cnn'],
      ['decoder.x', 'cnn'],
      ['classifier1.w', 'cnn'],
      ['swin_unet.x', 'trans'],
      ['classifier2.w', 'trans'],
    ] as const) {
      expect(inGroup(net, param)).toBe(true);
      expect(NETWORK_PARAMS[net].owns(param)).toBe(true);
    }
    expect(inGroup('proj', 'projector8.shared.weight')).toBe(true);
    expect([NETWORK_PARAMS.cnn.head, NETWORK_PARAMS.trans.head]).toEqual(['classifier1.', 'classifier2.']);
  });
});

describe('mcscGraph is pure', () => {
  test('the block specs come with the graph, before any build, and building does not change them', () => {
    const options = runSettings(tinyConfig(), data).graph;
    const graph = mcscGraph(options);
    const specs = JSON.stringify([...graph.blockSpecs]);
    expect([...graph.blockSpecs.keys()]).toEqual(['full', 'eighth']);
    // 64 px, b = 8, reference coverage: 7×7 blocks, 4 groups per step, N = B·V·b² = 4·2·64; at 1/8 (8 px, b = 4): 1 block, N = 4·2·16
    expect(graph.blockSpecs.get('full')).toMatchObject({
      name: 'blockcon_full',
      batch: 4,
      height: 64,
      blockCount: 49,
      groups: 4,
      pointsPerGroup: 512,
    });
    expect(graph.blockSpecs.get('eighth')).toMatchObject({
      name: 'blockcon_eighth',
      batch: 4,
      height: 8,
      blockCount: 1,
      groups: 1,
      pointsPerGroup: 128,
    });
    const inputs = () => {
      const g = new Graph({ training: true });
      graph.build(g);
      return g.inputs.filter((t) => t.name.startsWith('blockcon')).map((t) => `${t.name}:${t.shape.join('x')}`);
    };
    const first = inputs();
    expect(inputs()).toEqual(first);
    graph.build(new Graph({ training: false }));
    expect(JSON.stringify([...graph.blockSpecs])).toBe(specs);
    // the step feeds are made for exactly the inputs the graph declares
    for (const spec of graph.blockSpecs.values()) {
      expect(first).toEqual(
        expect.arrayContaining([
          `${spec.inputNames.points}:${spec.groups}x${spec.pointsPerGroup}`,
          `${spec.inputNames.mask}:${spec.pointsPerGroup}`,
          `${spec.inputNames.pixels}:2x${spec.projectedPixels}`,
        ]),
      );
    }
    expect(mcscGraph(runSettings(methodConfig(tinyConfig(), 'cross-teaching'), data).graph).blockSpecs.size).toBe(0);
  });
});

describe('train() is a library', () => {
  test('a stop request ends the run with a checkpoint and says so in the result; no signal handlers, no exit', async () => {
    const listeners = process.listenerCount('SIGINT');
    const controller = new AbortController();
    controller.abort();
    const exit = jest.spyOn(process, 'exit').mockImplementation((() => {
      throw new Error('process.exit called');
    }) as never);
    try {
      const run = train({
        config: tinyConfig(),
        out: join(dir, 'stopped'),
        dataset: await tinyData(),
        signal: controller.signal,
        progress: false,
        log: () => {},
      });
      expect(process.listenerCount('SIGINT')).toBe(listeners);
      const result = await run;
      expect([result.completed, result.stopReason, result.iteration]).toEqual([false, 'signal', 0]);
      expect(RunDir.open(join(dir, 'stopped')).readCheckpoint()).toMatchObject({ iteration: 0 });
      expect(result.settings.batch).toBe(4);
    } finally {
      exit.mockRestore();
    }
    expect(exit).not.toHaveBeenCalled();
  });
});

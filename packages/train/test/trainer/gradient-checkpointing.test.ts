/**
 * Gradient checkpointing changes memory and time, never values: the joint MCSC step with the Swin-UNet's
 * checkpointing on (the paper preset's default) and off (the cpu preset's, so also the tiny test
 * config's) trains to the same losses and weights bit for bit, the graph without it having fewer nodes
 * (docs/engine.md#activation-memory).
 */
import { Random, TrainingSession, nodeRuntime } from '@mcsc/graph/node';
import { graphLosses } from '@mcsc/core';
import { mcscGraph } from '../../src/trainer/mcsc-graph';
import { runSettings } from '../../src/trainer/run-settings';
import { tinyConfig } from './tiny';

const DATA = { numClasses: 4, inChannels: 1, classNames: ['background', 'a', 'b', 'c'] };

/** Three steps of the tiny config's all-slices MCSC graph: the scalars of each step, the final weights, the node count. */
async function train(gradientCheckpointing: boolean) {
  const settings = runSettings(tinyConfig({ model: { transformer: { arch: 'swin-unet', gradientCheckpointing } } }), DATA);
  expect(settings.graph.transformer.gradientCheckpointing).toBe(gradientCheckpointing);
  const graph = mcscGraph(settings.graph);
  const session = await TrainingSession.create({ runtime: nodeRuntime(), build: graph.build, optimizer: settings.optimizer, seed: 5 });
  const { batch: B, graph: o } = settings;
  const P = o.patchSize;
  const r = new Random(3);
  const scalars: Record<string, number>[] = [];
  for (let step = 0; step < 3; step++) {
    const feeds: Record<string, Float32Array | BigInt64Array> = {
      image: Float32Array.from({ length: B * P * P }, () => r.normal()),
      label: BigInt64Array.from({ length: o.labeledBatchSize * P * P }, () => BigInt(r.int(o.numClasses))),
      ct_weight: Float32Array.of(0.1),
      contrast_weight: Float32Array.of(0.1),
    };
    for (const spec of graph.blockSpecs.values()) Object.assign(feeds, graphLosses.blockConFeeds(spec, { activeSlices: B, random: r }));
    scalars.push(await session.step(feeds, { lr: 1e-2 }));
  }
  const weights = [...session.weights()].map(([name, t]) => [name, Array.from(t.data as Float32Array)] as const);
  const nodes = session.graphStats().trainingNodes;
  await session.release();
  return { scalars, weights, nodes };
}

describe('gradient checkpointing', () => {
  test('the MCSC step with it on and off: the same losses and weights bit for bit, fewer nodes off', async () => {
    const [on, off] = [await train(true), await train(false)];
    const losses = on.scalars.map((s) => s.loss!);
    expect(new Set(losses).size).toBe(3); // three different steps (new data, updated weights)
    expect(on.scalars.every((s) => s.con! > 0)).toBe(true); // the contrast took part
    expect(off.scalars).toEqual(on.scalars);
    expect(off.weights).toEqual(on.weights);
    expect(off.nodes).toBeLessThan(on.nodes);
  });
});

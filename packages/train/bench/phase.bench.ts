/**
 * The contrast's two phases (docs/method/losses.md#phases): a step of the labeled-only phase's own graph
 * (block points of the B_l labeled slices only) against a step of the all-slices graph given the same
 * B_l active slices (what the labeled-only phase cost before it had its own graph: padded points) and
 * with all B active (the second phase). The three sessions take turns on the same images; medians of
 * the steps after the warm-up, in each onnxruntime execution mode. Prints a Markdown table.
 *
 *     tsx --tsconfig ../../tsconfig.json bench/phase.bench.ts [cpu|paper] [steps]
 */
import { loadavg } from 'node:os';
import { Random, TrainingSession, nodeRuntime, type Feeds, type NodeRuntimeOptions } from '@mcsc/graph/node';
import { graphLosses } from '@mcsc/core';
import { resolveConfig, type PresetName } from '../src/trainer/config';
import { mcscGraph, type McscGraph } from '../src/trainer/mcsc-graph';
import { runSettings } from '../src/trainer/run-settings';
import { median } from '../../graph/bench/timing';

const DATA = { numClasses: 4, inChannels: 1, classNames: ['background', 'RV', 'Myo', 'LV'] } as const;
const WARMUP = 2;

async function measure(preset: PresetName, steps: number, runtime: NodeRuntimeOptions): Promise<string[]> {
  const config = resolveConfig(preset);
  const settings = runSettings(config, DATA);
  const o = settings.graph;
  const B = settings.batch;
  const bl = o.labeledBatchSize;
  const P = config.model.patchSize;
  const cases: { name: string; graph: McscGraph; active: number }[] = [
    { name: `labeled-only phase, its own graph (${bl} slices)`, graph: mcscGraph({ ...o, contrastSlices: bl }), active: bl },
    { name: `labeled-only phase on the all-slices graph (${bl} of ${B} active, padded)`, graph: mcscGraph(o), active: bl },
    { name: `all-slices phase (${B} active)`, graph: mcscGraph(o), active: B },
  ];
  const sessions = await Promise.all(
    cases.map((c) =>
      TrainingSession.create({ build: c.graph.build, optimizer: settings.optimizer, seed: config.seed, runtime: nodeRuntime(runtime) }),
    ),
  );
  const r = new Random(7);
  const ms = cases.map((): number[] => []);
  for (let t = 0; t < WARMUP + steps; t++) {
    const base: Record<string, Feeds[string]> = {
      image: Float32Array.from({ length: B * DATA.inChannels * P * P }, () => r.normal()),
      label: BigInt64Array.from({ length: bl * P * P }, () => BigInt(r.int(DATA.numClasses))),
      ct_weight: Float32Array.of(0.1),
      contrast_weight: Float32Array.of(config.loss.contrast.weight),
    };
    const seed = r.int(1 << 30);
    for (const [i, c] of cases.entries()) {
      const feeds = { ...base };
      const blocks = new Random(seed);
      for (const spec of c.graph.blockSpecs.values())
        Object.assign(feeds, graphLosses.blockConFeeds(spec, { activeSlices: c.active, random: blocks }));
      const t0 = performance.now();
      await sessions[i]!.step(feeds, { lr: 1e-4 });
      if (t >= WARMUP) ms[i]!.push(performance.now() - t0);
    }
  }
  for (const s of sessions) await s.release();
  const mode = `${runtime.executionMode}${runtime.threads !== undefined ? `, ${runtime.threads} intra-op thread` : ''}`;
  return cases.map(
    (c, i) => `| ${preset} | ${mode} | ${c.name} | ${median(ms[i]!).toFixed(0)} | ${ms[i]!.map((v) => v.toFixed(0)).join(', ')} |`,
  );
}

async function main(): Promise<void> {
  const preset = (process.argv[2] ?? 'cpu') as PresetName;
  const steps = Number(process.argv[3] ?? (preset === 'cpu' ? 7 : 2));
  const load = [loadavg()[0]!];
  const rows: string[] = [];
  for (const runtime of [{ executionMode: 'parallel', threads: 1 }, { executionMode: 'sequential' }] satisfies NodeRuntimeOptions[]) {
    rows.push(...(await measure(preset, steps, runtime)));
  }
  load.push(loadavg()[0]!);
  console.log(
    `contrast phases, ${preset} preset, medians of ${steps} steps after ${WARMUP} warm-up steps; load (1 min) ${load.map((l) => l.toFixed(1)).join(' → ')}\n`,
  );
  console.log('| preset | execution mode | step | median ms | steps (ms) |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * Profile of the joint MCSC training step by part (UNet, Swin-UNet, each contrasted scale, the
 * supervised and cross-teaching losses, the optimizer) in time and memory, from onnxruntime's own
 * profiler on the real step: the graph names every node by its scope (`Graph.scope`: `unet/Conv_12`),
 * gradient nodes carrying their forward node's, so the per-kernel trace sums per part
 * (step-profile-table.ts). Around the kernels: onnxruntime's time outside them (`model_run` − Σ
 * kernels), the `run` call's own (tensors into and out of the N-API binding) and the step's JS
 * (packing the parameters, feeds, unpacking), timed around each step and each run. A second process
 * runs the same steps with the profiler off: its peak RSS (VmHWM). For the time the profiler itself
 * costs, the profiled process also steps a second session without the profiler, the two taking turns on
 * the same feeds (cpu preset; not paper, whose two sessions would need ~20 GiB; BENCH_ALTERNATE=0|1).
 *
 * Feeds: random images and labels of the preset's shapes, every slice in the contrast (after the
 * switch), fresh block shuffles each step. Writes each measured preset's block in docs/engine.md
 * (`<!-- step-profile:<preset>:begin … -->`) and prints it.
 *
 *     tsx --tsconfig ../../tsconfig.json bench/step-profile.bench.ts            # cpu preset
 *     BENCH_PROFILE_PAPER=1 tsx … bench/step-profile.bench.ts                   # cpu and paper (~10 GiB, minutes a step when loaded)
 *     tsx … bench/step-profile.bench.ts paper                                   # paper only
 * Environment: BENCH_WARMUP (steps, default 2: the first run allocates tensor by tensor, the second
 * touches the memory pattern's new block), BENCH_STEPS (measured steps; cpu 5, paper 2),
 * BENCH_NO_DOCS=1 (print only), BENCH_KEEP_PROFILE=<file> (keep the profiled child's raw onnxruntime trace).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { McscError, Random, TrainingSession, nodeRuntime, type Feeds, type GraphRuntime, type NodeRuntimeOptions } from '@mcsc/graph/node';
import { graphLosses } from '@mcsc/core';
import { resolveConfig, type PresetName } from '../src/trainer/config';
import { mcscGraph } from '../src/trainer/mcsc-graph';
import { runSettings } from '../src/trainer/run-settings';
import {
  profileMarkdown,
  replaceProfileBlock,
  runProfiles,
  type PlainMeasurement,
  type ProfiledMeasurement,
  type ProfileEvent,
} from './step-profile-table';

const DATA = { numClasses: 4, inChannels: 1, classNames: ['background', 'RV', 'Myo', 'LV'] } as const;
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const STEPS: Record<PresetName, number> = { cpu: Number(process.env.BENCH_STEPS ?? 5), paper: Number(process.env.BENCH_STEPS ?? 2) };
const DOC = fileURLToPath(new URL('../../../docs/engine.md', import.meta.url));

/** A runtime that records the wall time of every `run` call of its sessions. */
function timedRuntime(inner: GraphRuntime, runMs: number[]): GraphRuntime {
  return {
    ...inner,
    async createSession(model) {
      const s = await inner.createSession(model);
      return {
        inputs: s.inputs,
        outputs: s.outputs,
        release: () => s.release(),
        async run(feeds, fetch) {
          const t0 = performance.now();
          const out = await s.run(feeds, fetch);
          runMs.push(performance.now() - t0);
          return out;
        },
      };
    },
  };
}

function peakRss(): number {
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return hwm ? Number(hwm[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

/**
 * The profile attributes kernel time to the parts of the step, so its sessions run one node at a time:
 * onnxruntime's sequential execution mode with its default threads (the trainer's default too since
 * 2026-12-03, whatever a config says; docs/engine.md#execution-mode; bench/trainer.bench.ts measures the
 * trainer's own runtime). The CPU arena is on whatever the preset says: its bytes in use are the
 * memory columns.
 */
function sequential(runtime: NodeRuntimeOptions): NodeRuntimeOptions {
  const { threads: _threads, interOpThreads: _interOp, ...rest } = runtime;
  return { ...rest, executionMode: 'sequential', enableCpuMemArena: true };
}

function setup(preset: PresetName) {
  const config = resolveConfig(preset);
  const settings = runSettings(config, DATA);
  return { config, settings: { ...settings, runtime: sequential(settings.runtime) }, graph: mcscGraph(settings.graph) };
}

/**
 * The steps of one child process: WARMUP + STEPS[preset] steps of the joint graph on one session per
 * runtime, the sessions taking turns on the same feeds; wall ms of each step, per session.
 */
async function runSteps(preset: PresetName, runtimes: GraphRuntime[]): Promise<{ stepMs: number[][]; nodes: number; parameters: number }> {
  const { config, settings, graph } = setup(preset);
  const sessions: TrainingSession[] = [];
  for (const runtime of runtimes) {
    sessions.push(await TrainingSession.create({ build: graph.build, optimizer: settings.optimizer, seed: config.seed, runtime }));
  }
  const B = settings.batch;
  const P = config.model.patchSize;
  const r = new Random(7);
  const stepMs = sessions.map((): number[] => []);
  for (let t = 0; t < WARMUP + STEPS[preset]; t++) {
    const feeds: Record<string, Feeds[string]> = {
      image: Float32Array.from({ length: B * DATA.inChannels * P * P }, () => r.normal()),
      label: BigInt64Array.from({ length: settings.graph.labeledBatchSize * P * P }, () => BigInt(r.int(DATA.numClasses))),
    };
    if (settings.graph.crossTeaching) feeds.ct_weight = Float32Array.of(0.1);
    if (settings.graph.contrast) {
      feeds.contrast_weight = Float32Array.of(config.loss.contrast.weight);
      for (const spec of graph.blockSpecs.values()) Object.assign(feeds, graphLosses.blockConFeeds(spec, { activeSlices: B, random: r }));
    }
    for (const [i, session] of sessions.entries()) {
      const t0 = performance.now();
      await session.step(feeds, { lr: 1e-4 });
      stepMs[i]!.push(performance.now() - t0);
    }
  }
  const nodes = sessions[0]!.graphStats().trainingNodes;
  const parameters = sessions[0]!.parameterCount;
  for (const session of sessions) await session.release();
  return { stepMs, nodes, parameters };
}

async function child(preset: PresetName, mode: 'profiled' | 'plain'): Promise<unknown> {
  const { settings } = setup(preset);
  const load = [loadavg()[0]!];
  if (mode === 'plain') {
    const { stepMs } = await runSteps(preset, [nodeRuntime(settings.runtime)]);
    load.push(loadavg()[0]!);
    const plain: PlainMeasurement & { load: number[] } = { stepMs: stepMs[0]!, warmup: WARMUP, peakRss: peakRss(), load };
    return plain;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mcsc-step-profile-'));
  try {
    const runMs: number[] = [];
    const runtime = timedRuntime(nodeRuntime({ ...settings.runtime, profilePrefix: join(dir, 'step') }), runMs);
    const alternate = process.env.BENCH_ALTERNATE ? process.env.BENCH_ALTERNATE === '1' : preset === 'cpu';
    const { stepMs, nodes, parameters } = await runSteps(preset, alternate ? [runtime, nodeRuntime(settings.runtime)] : [runtime]);
    load.push(loadavg()[0]!);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    if (files.length !== 1) throw new McscError('step-profile', `expected one profile in ${dir}, found ${files.join(', ') || 'none'}`);
    const trace = readFileSync(join(dir, files[0]!), 'utf8');
    // BENCH_KEEP_PROFILE=<file>: keep onnxruntime's raw trace (every kernel in execution order, with the arena's bytes in use)
    if (process.env.BENCH_KEEP_PROFILE) writeFileSync(process.env.BENCH_KEEP_PROFILE, trace);
    const events = JSON.parse(trace) as ProfileEvent[];
    const profiled: Profiled = {
      stepMs: stepMs[0]!,
      runMs,
      runs: runProfiles(events),
      warmup: WARMUP,
      ...(alternate ? { alternatingMs: stepMs[1]! } : {}),
      nodes,
      parameters,
      load,
      description: runtime.description,
    };
    return profiled;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function inChild(preset: PresetName, mode: 'profiled' | 'plain'): unknown {
  const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', preset, mode], {
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

type Profiled = ProfiledMeasurement & { nodes: number; parameters: number; load: number[]; description: string };

function describePreset(preset: PresetName, { nodes, parameters }: Profiled): string {
  const { config, settings } = setup(preset);
  const { cnn, transformer: swin } = settings.graph;
  const c = settings.graph.contrast;
  const groups = c
    ? `${c.groupsPerStep ?? 'all'} block groups at 1/1 (b ${c.blockSize.full}), scales ${c.scales.join(' + ')}`
    : 'no contrast';
  return `batch ${settings.batch}×${DATA.inChannels}×${config.model.patchSize}², UNet ${JSON.stringify(cnn.channels)}, Swin-UNet C ${swin.embedDim} window ${swin.windowSize}, ${groups}; ${parameters.toLocaleString('en-US')} parameters, ${nodes.toLocaleString('en-US')} nodes emitted`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    console.log(JSON.stringify(await child(args[1] as PresetName, args[2] as 'profiled' | 'plain')));
    return;
  }
  const presets: PresetName[] = args.length ? (args as PresetName[]) : process.env.BENCH_PROFILE_PAPER ? ['cpu', 'paper'] : ['cpu'];
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
  console.log(`MCSC step profile (${presets.join(', ')}), ${machine}\n`);
  const blocks = new Map<PresetName, string>();
  for (const preset of presets) {
    const profiled = inChild(preset, 'profiled') as Profiled;
    const plain = inChild(preset, 'plain') as PlainMeasurement & { load: number[] };
    const loads = [...profiled.load, ...plain.load];
    const conditions = `${new Date().toISOString().slice(0, 10)}, ${machine}, ${profiled.description.replace(', profiling', '')}; load average (1 min) ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${cpus().length} cores`;
    const markdown = profileMarkdown({ preset, description: describePreset(preset, profiled), conditions }, profiled, plain);
    console.log(markdown);
    blocks.set(preset, markdown);
  }
  if (!process.env.BENCH_NO_DOCS) {
    // Read just before writing: the doc may have changed while the steps ran.
    let doc = readFileSync(DOC, 'utf8');
    for (const [preset, markdown] of blocks) doc = replaceProfileBlock(doc, preset, markdown);
    writeFileSync(DOC, doc);
    console.log(`wrote the ${[...blocks.keys()].join(' and ')} block${blocks.size > 1 ? 's' : ''} of ${DOC}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * Benchmark of the two-scale block contrastive loss, L_c = L_block(1/1) + L_block(1/8) (docs/method/losses.md#total-loss), on
 * onnxruntime-node CPU: forward + backward time, forward-only time, peak memory and graph size, at the
 * paper's size and at the trainer's `cpu` preset, and the loss's share of a whole MCSC training step at
 * the `cpu` preset (when the trainer in packages/train is present).
 *
 * Every case runs in its own child process, so each peak RSS (`process.resourceUsage().maxRSS`) is that
 * case's alone. Inputs are random unit-length features [B, 2, 128, H, W] and random labels in 4 classes,
 * all slices active (the phase after iteration 3000; before it the graph is the same, padded, and costs
 * the same), a fresh block shuffle every run.
 *
 *   pnpm --filter @mcsc/core bench                      all cases
 *   BENCH_CASES=cpu,cpu-step pnpm --filter @mcsc/core bench
 *   BENCH_CASES=paper-g8,paper-g25,paper-g50,paper      peak memory against the number of groups at the paper's size
 *                                                       (docs/engine.md, "Contrastive loss: memory and time")
 *   BENCH_REPEATS=5                                     timed runs per case (median reported; default 3)
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  Graph,
  Random,
  TrainingSession,
  add,
  emitModel,
  gradients,
  liveNodes,
  type OptimizerConfig,
  type Tensor,
  type TensorData,
  nodeRuntime,
  type RuntimeTensor,
} from '@mcsc/graph/node';
import { graphLosses } from '../src/index.js';

interface Scale {
  size: number;
  blockSize: number;
  groupsPerStep?: number;
}

interface LossCase {
  kind: 'loss';
  title: string;
  batch: number;
  channels: number;
  scales: Scale[];
  chunkGroups?: number;
}

interface StepCase {
  kind: 'step';
  title: string;
}

const CPU_SCALES: Scale[] = [
  { size: 128, blockSize: 11, groupsPerStep: 8 },
  { size: 16, blockSize: 8, groupsPerStep: 8 },
];

/** The paper: B = 4 (2B = 8 images), 224 px, b = 19 at 1/1 (100 groups), b = 14 at 1/8 (1 group), C = 128. */
const PAPER_SCALES: Scale[] = [
  { size: 224, blockSize: 19 },
  { size: 28, blockSize: 14 },
];

const CASES: Record<string, LossCase | StepCase> = {
  paper: {
    kind: 'loss',
    title: 'paper: B 4, 224 px, b 19 / 14, all 100 + 1 groups (default chunks)',
    batch: 4,
    channels: 128,
    scales: PAPER_SCALES,
  },
  'paper-chunk1': { kind: 'loss', title: 'paper, 1 group per chunk', batch: 4, channels: 128, scales: PAPER_SCALES, chunkGroups: 1 },
  'paper-chunk10': { kind: 'loss', title: 'paper, 10 groups per chunk', batch: 4, channels: 128, scales: PAPER_SCALES, chunkGroups: 10 },
  // Paper-size points with fewer groups per step (groupsPerStep at 1/1): peak memory against the number of groups.
  ...Object.fromEntries(
    [8, 25, 50].map((k) => [
      `paper-g${k}`,
      {
        kind: 'loss',
        title: `paper size, ${k} of 100 + 1 of 1 groups per step (default chunks)`,
        batch: 4,
        channels: 128,
        scales: [{ ...PAPER_SCALES[0]!, groupsPerStep: k }, PAPER_SCALES[1]!],
      } satisfies LossCase,
    ]),
  ),
  cpu: {
    kind: 'loss',
    title: 'cpu preset: B 4, 128 px, b 11 / 8, 8 of 100 + 1 of 1 groups per step',
    batch: 4,
    channels: 128,
    scales: CPU_SCALES,
  },
  'cpu-all-groups': {
    kind: 'loss',
    title: 'cpu preset with all 100 + 1 groups',
    batch: 4,
    channels: 128,
    scales: CPU_SCALES.map(({ size, blockSize }) => ({ size, blockSize })),
  },
  'cpu-step': {
    kind: 'step',
    title: 'cpu preset: whole MCSC training step (packages/train), contrast on vs off, and L_c alone, timed round-robin',
  },
};

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const NUM_CLASSES = 4;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const peakMiB = (): number => process.resourceUsage().maxRSS / 1024;

interface Timing {
  /** Best wall-clock ms of the timed runs (the least disturbed by other load on a shared machine). */
  wall: number;
  /** Median wall-clock ms. */
  median: number;
  /** Median CPU ms of this process (all threads, user + system). */
  cpu: number;
}

/**
 * Times several functions round-robin (one warm-up each, then `repeats` rounds), so that load from
 * outside this process disturbs all of them alike.
 */
async function timedTogether(fs: ReadonlyArray<() => Promise<unknown>>, repeats: number): Promise<Timing[]> {
  for (const f of fs) await f(); // warm-up (and onnxruntime's memory-pattern planning)
  const wall = fs.map((): number[] => []);
  const cpu = fs.map((): number[] => []);
  for (let r = 0; r < repeats; r++) {
    for (const [i, f] of fs.entries()) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await f();
      wall[i]!.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu[i]!.push((c.user + c.system) / 1000);
    }
  }
  return fs.map((_, i) => ({ wall: Math.min(...wall[i]!), median: median(wall[i]!), cpu: median(cpu[i]!) }));
}

const show = (t: Timing): string => `${t.wall.toFixed(0)} (median ${t.median.toFixed(0)}, CPU ${t.cpu.toFixed(0)})`;

function unitFeatures(n: number, channels: number, random: Random): Float32Array {
  const out = new Float32Array(n);
  const scale = 1 / Math.sqrt(channels);
  for (let i = 0; i < n; i++) out[i] = random.normal() * scale; // ‖f‖ ≈ 1 over 128 channels
  return out;
}

/** The loss graph of a case, compiled twice (forward + backward, forward only), with fresh step feeds per run. */
async function lossRunner(c: LossCase) {
  const random = new Random(1);
  const t0 = performance.now();
  const g = new Graph({ training: true });
  const features: Tensor[] = [];
  const parts = c.scales.map((s, i) => {
    const f = g.input(`features_${i}`, [c.batch, 2, c.channels, s.size, s.size]);
    features.push(f);
    return graphLosses.blockConLoss(f, g.input(`labels_${i}`, [c.batch, 2, s.size, s.size], 'int64'), {
      blockSize: s.blockSize,
      numClasses: NUM_CLASSES,
      name: `blockcon_${i}`,
      ...(s.groupsPerStep ? { groupsPerStep: s.groupsPerStep } : {}),
      ...(c.chunkGroups ? { chunkGroups: c.chunkGroups } : {}),
    });
  });
  const loss = parts.map((p) => p.loss).reduce((a, b) => add(a, b));
  const outputs: Record<string, Tensor> = { loss };
  for (const [i, d] of gradients(loss, features).entries()) {
    if (d) outputs[`grad_${i}`] = d;
  }
  const model = emitModel(g, { outputs });
  const buildMs = performance.now() - t0;

  const values: Record<string, TensorData> = {};
  c.scales.forEach((s, i) => {
    values[`features_${i}`] = unitFeatures(c.batch * 2 * c.channels * s.size * s.size, c.channels, random);
    values[`labels_${i}`] = BigInt64Array.from({ length: c.batch * 2 * s.size * s.size }, () => BigInt(random.int(NUM_CLASSES)));
  });
  const feedMs: number[] = [];
  const feeds = (inputs: readonly Tensor[]): Record<string, RuntimeTensor> => {
    const t = performance.now();
    const step = Object.assign({}, values, ...parts.map((p) => graphLosses.blockConFeeds(p.spec, { random }))) as Record<
      string,
      TensorData
    >;
    feedMs.push(performance.now() - t);
    return Object.fromEntries(inputs.map((x) => [x.name, { type: x.dtype, data: step[x.name]!, dims: [...x.shape] }]));
  };
  const rssBefore = process.memoryUsage().rss / 2 ** 20;
  const t1 = performance.now();
  const session = await nodeRuntime().createSession(model.bytes);
  const sessionMs = performance.now() - t1;
  return {
    specs: parts.map((p) => p.spec),
    nodes: { forward: liveNodes(g, [loss]).length, backward: model.nodeCount },
    buildMs,
    sessionMs,
    rssBefore,
    feedMs,
    run: () => session.run(feeds(model.inputs)),
    release: () => session.release(),
    async forwardOnly() {
      const forward = emitModel(g, { outputs: { loss } });
      const fs = await nodeRuntime().createSession(forward.bytes);
      return { run: () => fs.run(feeds(forward.inputs)), release: () => fs.release() };
    },
  };
}

async function lossCase(c: LossCase): Promise<Record<string, string>> {
  const runner = await lossRunner(c);
  const [backward] = await timedTogether([runner.run], REPEATS);
  const peak = peakMiB();
  await runner.release();
  const forwardRunner = await runner.forwardOnly();
  const [forward] = await timedTogether([forwardRunner.run], REPEATS);
  await forwardRunner.release();
  return {
    case: c.title,
    'groups × N (chunks)': describeSpecs(runner.specs),
    'forward + backward ms: best (median, CPU)': show(backward!),
    'forward ms: best (median, CPU)': show(forward!),
    'peak RSS MiB': peak.toFixed(0),
    'RSS before session MiB': runner.rssBefore.toFixed(0),
    'nodes fwd / fwd+bwd': `${runner.nodes.forward} / ${runner.nodes.backward}`,
    'build + session ms': `${runner.buildMs.toFixed(0)} + ${runner.sessionMs.toFixed(0)}`,
    'step feeds ms (JS)': median(runner.feedMs).toFixed(1),
  };
}

const describeSpecs = (specs: readonly graphLosses.BlockConSpec[]): string =>
  specs.map((s) => `${s.groups} × ${s.pointsPerGroup} (${s.chunks} chunk${s.chunks === 1 ? '' : 's'})`).join(' + ');

/** The parts of packages/train this case uses, typed here so that the core bench does not depend on the trainer's types. */
interface TrainerModules {
  resolveConfig(preset: 'cpu', overrides?: readonly Record<string, unknown>[]): TrainerConfig;
  runSettings(
    config: TrainerConfig,
    data: { numClasses: number; inChannels: number; classNames: readonly string[] },
  ): { graph: unknown; optimizer: OptimizerConfig };
  mcscGraph(options: unknown): { build: (g: Graph) => { loss?: Tensor }; blockSpecs: ReadonlyMap<string, graphLosses.BlockConSpec> };
}

interface TrainerConfig {
  model: { patchSize: number };
  optim: { batchSize: number; labeledBatchSize: number };
}

async function stepCase(c: StepCase): Promise<Record<string, string>> {
  const trainer = new URL('../../train/src/trainer/', import.meta.url);
  let mods: TrainerModules;
  try {
    // Computed specifiers: the trainer is optional here, and its types stay out of this package's typecheck.
    const config = (await import(new URL('config.ts', trainer).href)) as Pick<TrainerModules, 'resolveConfig'>;
    const settings = (await import(new URL('run-settings.ts', trainer).href)) as Pick<TrainerModules, 'runSettings'>;
    const graph = (await import(new URL('mcsc-graph.ts', trainer).href)) as Pick<TrainerModules, 'mcscGraph'>;
    mods = { ...config, ...settings, ...graph };
  } catch (e) {
    return { case: c.title, result: `not measured: the trainer could not be loaded (${(e as Error).message.split('\n')[0]})` };
  }
  const random = new Random(2);
  const stepRunner = async (contrast: boolean) => {
    const config = mods.resolveConfig('cpu', contrast ? [] : [{ loss: { contrast: { enabled: false } } }]);
    const { batchSize: b, labeledBatchSize: bl } = config.optim;
    const p = config.model.patchSize;
    const settings = mods.runSettings(config, {
      numClasses: NUM_CLASSES,
      inChannels: 1,
      classNames: Array.from({ length: NUM_CLASSES }, (_, k) => `class ${k}`),
    });
    const graph = mods.mcscGraph(settings.graph);
    const session = await TrainingSession.create({ runtime: nodeRuntime(), build: graph.build, optimizer: settings.optimizer, seed: 1 });
    const image = unitFeatures(b * p * p, 1, random);
    const label = BigInt64Array.from({ length: bl * p * p }, () => BigInt(random.int(NUM_CLASSES)));
    const specs = [...graph.blockSpecs.values()];
    const feeds = (): Record<string, TensorData> =>
      Object.assign(
        { image, label, ct_weight: Float32Array.of(0.1), contrast_weight: Float32Array.of(0.001) },
        ...specs.map((spec) => graphLosses.blockConFeeds(spec, { random })),
      );
    return {
      specs,
      nodes: session.graphStats().trainingNodes,
      run: () => session.step(feeds(), { lr: { cnn: 5e-4, trans: 1e-4, proj: 5e-4 } }),
    };
  };
  const on = await stepRunner(true);
  const off = await stepRunner(false);
  const loss = await lossRunner(CASES.cpu as LossCase);
  const [tOn, tOff, tLoss] = (await timedTogether([on.run, off.run, loss.run], REPEATS)) as [Timing, Timing, Timing];
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;
  return {
    case: c.title,
    'groups × N (chunks) in the step': describeSpecs(on.specs),
    'step ms, contrast on: best (median, CPU)': show(tOn),
    'step ms, contrast off: best (median, CPU)': show(tOff),
    'L_c alone (case cpu), fwd + bwd ms: best (median, CPU)': show(tLoss),
    'share of the step: L_c alone (best wall / CPU)': `${pct(tLoss.wall, tOn.wall)} / ${pct(tLoss.cpu, tOn.cpu)}`,
    'share of the step: projectors + L_c, on − off (best wall / CPU)': `${pct(tOn.wall - tOff.wall, tOn.wall)} / ${pct(tOn.cpu - tOff.cpu, tOn.cpu)}`,
    'step graph nodes on / off': `${on.nodes} / ${off.nodes}`,
  };
}

async function child(name: string): Promise<void> {
  const c = CASES[name];
  if (!c) throw new RangeError(`contrastive.bench: unknown case '${name}'; cases: ${Object.keys(CASES).join(', ')}`);
  const row = c.kind === 'loss' ? await lossCase(c) : await stepCase(c);
  console.log(`RESULT ${JSON.stringify(row)}`);
}

function parent(): void {
  const names = process.env.BENCH_CASES ? process.env.BENCH_CASES.split(',') : Object.keys(CASES);
  console.log(`# Two-scale block contrastive loss, ${nodeRuntime().description}, ${cpus().length} cores, ${REPEATS} timed runs (median)\n`);
  const script = fileURLToPath(import.meta.url);
  for (const name of names) {
    const run = spawnSync(process.execPath, [...process.execArgv, script, '--case', name], {
      encoding: 'utf8',
      env: process.env,
      maxBuffer: 1 << 24,
    });
    const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (run.status !== 0 || !line) {
      console.log(
        `## ${name}\n\nfailed (exit ${run.status}):\n\n\`\`\`\n${(run.stderr || run.stdout).trim().split('\n').slice(-12).join('\n')}\n\`\`\`\n`,
      );
      continue;
    }
    const row = JSON.parse(line.slice(7)) as Record<string, string>;
    console.log(`## ${name}\n\n| measure | value |\n| --- | --- |`);
    for (const [k, v] of Object.entries(row)) console.log(`| ${k} | ${v} |`);
    console.log('');
  }
}

const at = process.argv.indexOf('--case');
if (at >= 0) {
  child(process.argv[at + 1]!).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  parent();
}

/**
 * Trainer benchmark: iterations per second and peak RSS of the joint MCSC step (both networks,
 * projectors, all losses, AdamW) through the real training loop, at the CPU preset and, for a few
 * iterations, at the paper preset. Each configuration runs in its own process so its peak RSS is its
 * own. Data: the embedded synthetic set. Prints a Markdown table.
 *
 *     tsx --tsconfig ../../tsconfig.json bench/trainer.bench.ts [cpu|paper ITERATIONS [method [setting]]]
 *
 * `setting` (several joined by commas) sets onnxruntime's memory settings (`runtime.memPattern`, `runtime.cpuMemArena`): `default`
 * (the config's), `pattern-off`, `pattern-on`, `arena-off`, `arena-on` or `both-off`; or `parallel` (or `sequential`,
 * the default), the execution mode (`runtime.executionMode`); or `all-slices`, MCSC's
 * second phase from the first iteration (`loss.contrast.allSlicesFrom: 0`: every slice's block points
 * contrasted, the graph of iterations ≥ 3000 at paper); or `threads-2`, two intra-op threads per node
 * (`runtime.threads: 2`). A setting other than the default is named in the
 * method column.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { McscError } from '@mcsc/graph';
import { resolveConfig, type PresetName } from '../src/trainer/config';
import { methodConfig, type Method } from '../src/trainer/compare';
import { train } from '../src/trainer/trainer';
import { RunDir, type LogRecord } from '../src/trainer/run-dir';
import { median } from '../../graph/bench/timing';

/** The settings a run may change (config fields on top of the preset). */
const SETTINGS = {
  default: {},
  'pattern-off': { runtime: { memPattern: false } },
  'arena-off': { runtime: { cpuMemArena: false } },
  'arena-on': { runtime: { cpuMemArena: true } },
  'both-off': { runtime: { memPattern: false, cpuMemArena: false } },
  sequential: { runtime: { executionMode: 'sequential' } },
  parallel: { runtime: { executionMode: 'parallel' } },
  'pattern-on': { runtime: { memPattern: true } },
  'all-slices': { loss: { contrast: { allSlicesFrom: 0 } } },
  'threads-2': { runtime: { threads: 2 } },
} as const;
type Setting = keyof typeof SETTINGS;

/** `settingNames`: names of {@link SETTINGS}, joined by commas. */
async function measure(preset: PresetName, iterations: number, method: Method, settingNames: string): Promise<string> {
  const settingList = settingNames.split(',') as Setting[];
  for (const setting of settingList)
    if (!(setting in SETTINGS))
      throw new McscError('trainer.bench', `a setting must be one of ${Object.keys(SETTINGS).join(', ')}, got ${setting}`);
  const dir = mkdtempSync(join(tmpdir(), 'mcsc-bench-'));
  try {
    const base = resolveConfig(preset, [
      { run: { logEvery: 1, validateEvery: 1_000_000, checkpointEvery: 1_000_000 } },
      ...settingList.map((setting) => SETTINGS[setting]),
    ]);
    const config = methodConfig(base, method);
    const t0 = performance.now();
    const { settings } = await train({ config, out: join(dir, 'run'), stopAfter: iterations, progress: false, log: () => {} });
    const wall = (performance.now() - t0) / 1000;
    const log = RunDir.open(join(dir, 'run'))
      .readLog()
      .filter((r): r is Extract<LogRecord, { type: 'train' }> => r.type === 'train');
    // steady state: from the end of the first step (graph warm-up) to the last
    const steady = (log.length - 1) / (log[log.length - 1]!.seconds - log[0]!.seconds);
    // and the median step from the third on (the second touches memory the first did not: with the
    // memory pattern, several times a steady step)
    const later = log.slice(2).map((r, i) => (r.seconds - log[i + 1]!.seconds) * 1000);
    const medianLater = later.length ? median(later).toFixed(0) : '—';
    const rss = process.resourceUsage().maxRSS / 1024;
    const { patchSize } = config.model;
    const groups = config.loss.contrast.groupsPerStep ?? 'all';
    return `| ${preset} | ${method}${settingNames === 'default' ? '' : ` (${settingNames})`} | ${settings.batch}×${settings.data.inChannels}×${patchSize}² | ${config.model.transformer.embedDim} | ${groups} | ${iterations} | ${steady.toFixed(3)} | ${(1000 / steady).toFixed(0)} | ${medianLater} | ${wall.toFixed(0)} | ${rss.toFixed(0)} |`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [preset, n, method, settings] = process.argv.slice(2) as [PresetName?, string?, Method?, string?];
  if (preset && n) {
    console.log(await measure(preset, Number(n), method ?? 'mcsc', settings ?? 'default'));
    return;
  }
  console.log(`MCSC trainer, ${cpus().length} cores, synthetic data; it/s over the steps after the first\n`);
  console.log(
    '| preset | method | batch | Swin C | groups/step | iterations | it/s | ms/step | median ms/step from step 3 | wall s (incl. build) | peak RSS (MiB) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const runs: [PresetName, number, Method][] = [
    ['cpu', 30, 'supervised'],
    ['cpu', 30, 'cross-teaching'],
    ['cpu', 30, 'mcsc'],
    ['paper', Number(process.env.PAPER_ITERATIONS ?? 3), 'mcsc'],
  ];
  for (const [p, iters, m] of runs) {
    const row = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), p, String(iters), m], {
      encoding: 'utf8',
    }).trim();
    console.log(row);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

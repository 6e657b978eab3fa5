/**
 * Trainer benchmark: iterations per second and peak RSS of the joint MCSC step (both networks,
 * projectors, all losses, AdamW) through the real training loop, at the CPU preset and, for a few
 * iterations, at the paper preset. Each configuration runs in its own process so its peak RSS is its
 * own. Data: the embedded synthetic set. Prints a Markdown table.
 *
 *     tsx --tsconfig ../../tsconfig.json bench/trainer.bench.ts [cpu|paper ITERATIONS [method [memory]]]
 *
 * `memory` sets onnxruntime's memory settings (`runtime.memPattern`, `runtime.cpuMemArena`): `default`
 * (the config's), `pattern-off`, `arena-off` or `both-off`; or `sequential`, the sequential execution
 * mode instead of the cpu default's parallel one (`runtime.executionMode`). A setting other than the
 * default is named in the method column.
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

const MEMORY = {
  default: {},
  'pattern-off': { memPattern: false },
  'arena-off': { cpuMemArena: false },
  'both-off': { memPattern: false, cpuMemArena: false },
  sequential: { executionMode: 'sequential' },
} as const;
type Memory = keyof typeof MEMORY;

async function measure(preset: PresetName, iterations: number, method: Method, memory: Memory): Promise<string> {
  if (!(memory in MEMORY)) throw new McscError('trainer.bench', `memory must be one of ${Object.keys(MEMORY).join(', ')}, got ${memory}`);
  const dir = mkdtempSync(join(tmpdir(), 'mcsc-bench-'));
  try {
    const base = resolveConfig(preset, [
      { run: { logEvery: 1, validateEvery: 1_000_000, checkpointEvery: 1_000_000 }, runtime: { ...MEMORY[memory] } },
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
    const rss = process.resourceUsage().maxRSS / 1024;
    const { patchSize } = config.model;
    const groups = config.loss.contrast.groupsPerStep ?? 'all';
    return `| ${preset} | ${method}${memory === 'default' ? '' : ` (${memory})`} | ${settings.batch}×${settings.data.inChannels}×${patchSize}² | ${config.model.transformer.embedDim} | ${groups} | ${iterations} | ${steady.toFixed(3)} | ${(1000 / steady).toFixed(0)} | ${wall.toFixed(0)} | ${rss.toFixed(0)} |`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [preset, n, method, memory] = process.argv.slice(2) as [PresetName?, string?, Method?, Memory?];
  if (preset && n) {
    console.log(await measure(preset, Number(n), method ?? 'mcsc', memory ?? 'default'));
    return;
  }
  console.log(`MCSC trainer, ${cpus().length} cores, synthetic data; it/s over the steps after the first\n`);
  console.log('| preset | method | batch | Swin C | groups/step | iterations | it/s | ms/step | wall s (incl. build) | peak RSS (MiB) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
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

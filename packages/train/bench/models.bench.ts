/**
 * Network benchmark: eval forward and one training step (0.5·(CE + Dice), AdamW) of the UNet and the
 * Swin-UNet at the paper preset (batch 4, 224) and the CPU preset (batch 4, 128). Each configuration
 * runs in its own process so its peak RSS is its own. Prints a Markdown table.
 *
 * Optional PyTorch row: where `/usr/bin/python3` (or PARITY_PYTHON) imports torch (Debian's python3-torch), the same networks of the
 * parity suite (test/parity/torch_reference.py, torch_swin.py) are timed the same way right after ours,
 * in the same run (test/parity/torch_step_time.py), and the table gains PyTorch's step and our step's
 * ratio to it. Never needed: without torch the columns say so. BENCH_TORCH=0 skips them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random, TrainingSession, softmax, nodeRuntime } from '@mcsc/graph/node';
import { graphLosses } from '@mcsc/core';
import { networkPreset, type NetworkPresetName } from '../src/models/presets';
import { segmentationNet } from '../src/models/segmentation-net';
import { medianMs } from '../../graph/bench/timing';

const BATCH = 4;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/**
 * Untimed calls before the timed ones, ours and PyTorch's alike. Three, because onnxruntime's first
 * runs are not its steady state: on 2026-12-03 the paper Swin-UNet's steps 1–3 took 7.9, 8.7 and 1.9 s
 * (the memory pattern's block is allocated on the second run, the arena grows), then 1.3–2.1 s; with one
 * warm-up call the median of three took in the second.
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const PYTHON = process.env.PARITY_PYTHON ?? '/usr/bin/python3'; // Debian's python3 (python3-torch); the parity suite's default
const TORCH_SCRIPT = fileURLToPath(new URL('../../../test/parity/torch_step_time.py', import.meta.url));

/** Whether python3 imports torch here (the PyTorch columns are optional). */
function hasTorch(): boolean {
  if (process.env.BENCH_TORCH === '0') return false;
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** PyTorch's eval forward and training step for the same network and input, median of REPEATS (ms). */
function torchStepMs(
  preset: NetworkPresetName,
  arch: 'cnn' | 'transformer',
): { forwardMs: number; stepMs: number; threads: number; torch: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mcsc-torch-bench-'));
  try {
    const p = networkPreset(preset);
    const config = join(dir, 'model.json');
    writeFileSync(config, JSON.stringify(p[arch]));
    const args = [TORCH_SCRIPT, config, String(BATCH), String(p.patchSize), String(REPEATS), String(WARMUP)];
    const out = execFileSync(PYTHON, args, { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop()!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Our row of the table (without the PyTorch cells) and our step's median in ms. */
async function measure(preset: NetworkPresetName, arch: 'cnn' | 'transformer'): Promise<{ row: string; stepMs: number }> {
  const p = networkPreset(preset);
  const config = p[arch];
  const size = p.patchSize;
  const session = await TrainingSession.create({
    runtime: nodeRuntime(),
    build: (g) => {
      const net = segmentationNet(g, g.input('image', [BATCH, 1, size, size]), config);
      return {
        loss: graphLosses.supervisedLoss(net.logits, g.input('label', [BATCH, size, size], 'int64')).loss,
        outputs: { probs: softmax(net.logits, 1) },
      };
    },
    optimizer: { kind: 'adamw', groups: [{ name: 'net', params: () => true, weightDecay: 5e-4 }] },
    seed: 1,
  });
  const r = new Random(2);
  const image = Float32Array.from({ length: BATCH * size * size }, () => r.normal());
  const label = BigInt64Array.from({ length: BATCH * size * size }, () => BigInt(r.int(4)));
  const time = (f: () => Promise<unknown>) => medianMs(REPEATS, f, WARMUP);
  const fwd = await time(() => session.evaluate({ image }));
  const step = await time(() => session.step({ image, label }, { lr: 1e-4 }));
  const params = session.parameterNames.reduce((n, k) => n + session.weights().get(k)!.data.length, 0);
  const rss = process.resourceUsage().maxRSS / 1024;
  const row = `| ${preset} | ${arch === 'cnn' ? 'UNet' : 'Swin-UNet'} | ${BATCH}×1×${size}² | ${params.toLocaleString('en-US')} | ${fwd.toFixed(0)} | ${step.toFixed(0)} | ${(step / fwd).toFixed(2)} | ${rss.toFixed(0)} |`;
  return { row, stepMs: step };
}

async function main(): Promise<void> {
  const [preset, arch] = process.argv.slice(2) as [NetworkPresetName?, ('cnn' | 'transformer')?];
  if (preset && arch) {
    console.log(JSON.stringify(await measure(preset, arch)));
    return;
  }
  const torch = hasTorch();
  const load = loadavg()[0]!.toFixed(1);
  const rows: string[] = [];
  let torchVersion = '';
  const presets = (process.env.BENCH_PRESETS?.split(',') ?? ['cpu', 'paper']) as NetworkPresetName[];
  for (const p of presets) {
    for (const a of ['cnn', 'transformer'] as const) {
      const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), p, a], { encoding: 'utf8' });
      const { row, stepMs } = JSON.parse(out.trim().split('\n').pop()!) as { row: string; stepMs: number };
      const theirs = torch ? torchStepMs(p, a) : null;
      if (theirs)
        torchVersion = `PyTorch ${theirs.torch}, ${theirs.threads} threads, timed right after each of our rows (test/parity/torch_step_time.py)`;
      rows.push(`${row} ${theirs ? `${theirs.stepMs.toFixed(0)} | ${(stepMs / theirs.stepMs).toFixed(2)}` : '— | —'} |`);
    }
  }
  console.log(
    `networks, ${cpus().length} cores, medians of ${REPEATS} after ${WARMUP} untimed calls, load average (1 min) ${load} → ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(`${torch ? torchVersion : `PyTorch: not measured (${PYTHON} has no torch, or BENCH_TORCH=0)`}\n`);
  console.log(
    '| preset | network | input | parameters | eval forward (ms) | training step (ms) | step / forward | peak RSS (MiB) | PyTorch step (ms) | step / PyTorch step |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

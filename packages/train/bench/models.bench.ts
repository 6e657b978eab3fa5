/**
 * Network benchmark: eval forward and one training step (0.5·(CE + Dice), AdamW) of the UNet and the
 * Swin-UNet at the paper preset (batch 4, 224) and the CPU preset (batch 4, 128). Each configuration
 * runs in its own process so its peak RSS is its own. Prints a Markdown table.
 *
 * Optional PyTorch columns: where `/usr/bin/python3` (or PARITY_PYTHON) imports torch (Debian's
 * python3-torch), the same networks of the parity suite (test/parity/torch_reference.py, torch_swin.py)
 * are timed in turn with ours, call by call (./torch-reference.ts), and the table gains PyTorch's step
 * and our step's ratio to it. Never needed: without torch the columns say so. BENCH_TORCH=0 skips them.
 *
 * Each round: our eval forward, our step, PyTorch's step, each one untimed call then one timed (the
 * untimed one meets the caches the other side left); medians over BENCH_REPEATS rounds. A PyTorch step
 * of over 5 s (the paper Swin-UNet's) is timed in its own block first instead. Taking turns, every median comes from the same
 * minutes: this machine's speed drifts by up to a third over tens of seconds (the paper UNet step 375–500
 * ms in one steady loop, 2026-12-03), which timing each column in its own block measured as much as the
 * networks (the cpu UNet's ratio to PyTorch 0.58–0.87 between runs of one hour).
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Random, TrainingSession, softmax, nodeRuntime } from '@mcsc/graph/node';
import { graphLosses } from '@mcsc/core';
import { networkPreset, type NetworkPresetName } from '../src/models/presets';
import { segmentationNet } from '../src/models/segmentation-net';
import { median } from '../../graph/bench/timing';
import { hasTorch, startTorchReference } from './torch-reference';

const BATCH = 4;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/**
 * Untimed calls of each (forward, step, PyTorch's step) before the timed rounds. Three, because onnxruntime's first
 * runs are not its steady state: on 2026-12-03 the paper Swin-UNet's steps 1–3 took 7.9, 8.7 and 1.9 s
 * (the memory pattern's block is allocated on the second run, the arena grows), then 1.3–2.1 s; with one
 * warm-up call the median of three took in the second.
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);

/** One row of the table: our network, and PyTorch's taking turns with it when BENCH_WITH_TORCH=1. */
async function measure(preset: NetworkPresetName, arch: 'cnn' | 'transformer'): Promise<{ row: string; torchVersion: string }> {
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
  const torch = process.env.BENCH_WITH_TORCH === '1' ? await startTorchReference(config, BATCH, size) : null;
  const forward = () => session.evaluate({ image });
  const step = () => session.step({ image, label }, { lr: 1e-4 });
  const timed = async (f: () => Promise<unknown>) => {
    const t0 = performance.now();
    await f();
    return performance.now() - t0;
  };
  const torchStep = () => torch!.time('step');
  // A PyTorch step of over 5 s (the paper Swin-UNet's, ~27 s) is timed in its own block, before ours:
  // between our calls it slowed our next steps by ~20 % even after an untimed one (1,271–1,341 against
  // 1,072 ms, 2026-12-03), and a call that long averages the machine's drift by itself.
  const torchBlock: number[] = [];
  if (torch && (await timed(torchStep)) > 5000) {
    for (let i = 1; i < WARMUP; i++) await torchStep();
    for (let i = 0; i < REPEATS; i++) torchBlock.push(await timed(torchStep));
  }
  const sides = [forward, step, ...(torch && torchBlock.length === 0 ? [torchStep] : [])];
  // Warm-up: WARMUP calls of each. Then each side's turn is one untimed call (it meets the caches the
  // other side left: the cpu Swin-UNet step took 114 ms right after PyTorch's, 68–90 after its own) and
  // one timed call.
  for (const f of sides) for (let i = 0; i < WARMUP; i++) await f();
  const times = sides.map(() => [] as number[]);
  for (let round = 0; round < REPEATS; round++) {
    for (const [k, f] of sides.entries()) {
      await f();
      times[k]!.push(await timed(f));
    }
  }
  torch?.close();
  const torchMs = torchBlock.length > 0 ? median(torchBlock) : torch ? median(times[2]!) : Number.NaN;
  const [fwd, stepMs] = [median(times[0]!), median(times[1]!)];
  const params = session.parameterNames.reduce((n, k) => n + session.weights().get(k)!.data.length, 0);
  const rss = process.resourceUsage().maxRSS / 1024;
  const cells = [
    preset,
    arch === 'cnn' ? 'UNet' : 'Swin-UNet',
    `${BATCH}×1×${size}²`,
    params.toLocaleString('en-US'),
    fwd.toFixed(0),
    stepMs.toFixed(0),
    (stepMs / fwd).toFixed(2),
    rss.toFixed(0),
    ...(torch ? [torchMs.toFixed(0), (stepMs / torchMs).toFixed(2)] : ['—', '—']),
  ];
  return { row: `| ${cells.join(' | ')} |`, torchVersion: torch?.version ?? '' };
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
      const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), p, a], {
        encoding: 'utf8',
        env: { ...process.env, BENCH_WITH_TORCH: torch ? '1' : '0' },
      });
      const measured = JSON.parse(out.trim().split('\n').pop()!) as { row: string; torchVersion: string };
      rows.push(measured.row);
      torchVersion ||= measured.torchVersion;
    }
  }
  console.log(
    `networks, ${cpus().length} cores, medians of ${REPEATS} rounds after ${WARMUP} untimed calls of each (ours and PyTorch's taking turns), load average (1 min) ${load} → ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    `${torch ? `${torchVersion}, timed in turn with ours (test/parity/torch_step_time.py)` : 'PyTorch: not measured (no torch in python3, or BENCH_TORCH=0)'}\n`,
  );
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

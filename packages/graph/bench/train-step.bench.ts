/**
 * Engine benchmark: one training step (forward + backward + AdamW in one onnxruntime run) against one
 * eval forward of the same UNet-shaped net, batch 4 × 1 × 128 × 128, measured in the same run.
 * Prints medians, their ratio, peak RSS and the node counts of the forward and training graphs.
 * Targets (issue): ratio ≤ 3.5; training graph ≤ 4× the forward graph's nodes.
 */
import { cpus } from 'node:os';
import { Random, TrainingSession } from '@mcsc/graph';
import { unetLike } from './unet-like';

const BATCH = 4;
const SIZE = Number(process.env.BENCH_SIZE ?? 128);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 7);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const random = new Random(1);
  const image = Float32Array.from({ length: BATCH * SIZE * SIZE }, () => random.normal());
  const label = BigInt64Array.from({ length: BATCH * SIZE * SIZE }, () => BigInt(random.int(4)));
  const session = await TrainingSession.create({
    build: unetLike(BATCH, SIZE),
    optimizer: { kind: 'adamw', groups: [{ name: 'net', params: () => true, weightDecay: 5e-4 }] },
    seed: 1,
  });
  const stats = session.graphStats();
  const time = async (f: () => Promise<unknown>) => {
    await f(); // warm-up
    const ms: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const t0 = performance.now();
      await f();
      ms.push(performance.now() - t0);
    }
    return median(ms);
  };
  const evalMs = await time(() => session.evaluate({ image }));
  const stepMs = await time(() => session.step({ image, label }, { lr: 1e-4 }));
  const rows = [
    ['configuration', `UNet-like [16, 32, 64, 128], batch ${BATCH}×1×${SIZE}×${SIZE}, ${cpus().length} cores`],
    ['eval forward (median ms)', evalMs.toFixed(1)],
    ['training step: forward + backward + AdamW (median ms)', stepMs.toFixed(1)],
    ['ratio step / forward (target ≤ 3.5)', (stepMs / evalMs).toFixed(2)],
    ['forward graph nodes', String(stats.forwardNodes)],
    ['training graph nodes', String(stats.trainingNodes)],
    ['node ratio (target ≤ 4)', (stats.trainingNodes / stats.forwardNodes).toFixed(2)],
    ['peak RSS (MiB)', (process.resourceUsage().maxRSS / 1024).toFixed(0)],
  ];
  console.log('| measure | value |\n| --- | --- |');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * Engine benchmark: one training step (forward + backward + AdamW in one onnxruntime run) against one
 * eval forward of the same UNet-shaped net, batch 4 × 1 × 128 × 128, measured in the same run.
 * Prints medians, their ratio, peak RSS and the node counts of the forward and training graphs.
 * Targets (issue): ratio ≤ 3.5; training graph ≤ 4× the forward graph's nodes.
 */
import { cpus } from 'node:os';
import { Graph, Random, TrainingSession, emitModel, liveNodes, nodeRuntime, type RuntimeTensor } from '../src/node';
import { medianMs } from './timing';
import { unetLike } from './unet-like';

const BATCH = 4;
const SIZE = Number(process.env.BENCH_SIZE ?? 128);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 7);

async function main(): Promise<void> {
  const random = new Random(1);
  const image = Float32Array.from({ length: BATCH * SIZE * SIZE }, () => random.normal());
  const label = BigInt64Array.from({ length: BATCH * SIZE * SIZE }, () => BigInt(random.int(4)));
  const session = await TrainingSession.create({
    runtime: nodeRuntime(),
    build: unetLike(BATCH, SIZE),
    optimizer: { kind: 'adamw', groups: [{ name: 'net', params: () => true, weightDecay: 5e-4 }] },
    seed: 1,
  });
  const stats = session.graphStats();
  // The training-mode forward alone (batch statistics, loss): what the backward pass differentiates.
  const fg = new Graph({ training: true, dropout: false });
  const fwdLoss = unetLike(BATCH, SIZE)(fg).loss!;
  const fwdModel = emitModel(fg, { outputs: { loss: fwdLoss } });
  const fwdSession = await nodeRuntime().createSession(fwdModel.bytes);
  const fwdFeeds: Record<string, RuntimeTensor> = {
    image: { type: 'float32', data: image, dims: [BATCH, 1, SIZE, SIZE] },
    label: { type: 'int64', data: label, dims: [BATCH, SIZE, SIZE] },
  };
  for (const t of fwdModel.inputs) {
    const v = session.weights().get(t.name);
    if (v) fwdFeeds[t.name] = { type: v.dtype, data: v.data, dims: [...v.shape] };
  }
  const trainForwardNodes = liveNodes(fg, [fwdLoss]).length;
  const time = (f: () => Promise<unknown>) => medianMs(REPEATS, f);
  const evalMs = await time(() => session.evaluate({ image }));
  const trainFwdMs = await time(() => fwdSession.run(fwdFeeds));
  const stepMs = await time(() => session.step({ image, label }, { lr: 1e-4 }));
  const rows = [
    ['configuration', `UNet-like [16, 32, 64, 128], batch ${BATCH}×1×${SIZE}×${SIZE}, ${cpus().length} cores`],
    ['eval forward (median ms)', evalMs.toFixed(1)],
    ['training step: forward + backward + AdamW (median ms)', stepMs.toFixed(1)],
    ['training-mode forward: batch statistics + loss (median ms)', trainFwdMs.toFixed(1)],
    ['ratio step / eval forward (target ≤ 3.5)', (stepMs / evalMs).toFixed(2)],
    ['ratio step / training-mode forward', (stepMs / trainFwdMs).toFixed(2)],
    ['eval (forward) graph nodes', String(stats.forwardNodes)],
    ['training-mode forward graph nodes', String(trainForwardNodes)],
    ['training step graph nodes', String(stats.trainingNodes)],
    ['node ratio step / eval forward (target ≤ 4)', (stats.trainingNodes / stats.forwardNodes).toFixed(2)],
    ['node ratio step / training-mode forward', (stats.trainingNodes / trainForwardNodes).toFixed(2)],
    ['peak RSS (MiB)', (process.resourceUsage().maxRSS / 1024).toFixed(0)],
  ];
  console.log('| measure | value |\n| --- | --- |');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

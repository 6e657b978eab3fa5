/**
 * The engine on its own, end to end: train a small conv segmentation net (Conv, BatchNorm, pooling,
 * transposed conv, softmax cross-entropy) on synthetic discs with AdamW in one onnxruntime run per step,
 * then export the inference model. Writes runs/graph-demo/{model.onnx, losses.json, weights.safetensors}.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Random, TrainingSession, writeFileAtomic, nodeRuntime, saveWeights } from '@mcsc/graph/node';
import { discBatch, tinyNet } from '../packages/graph/test/tiny-net';

const STEPS = Number(process.env.STEPS ?? 150);
const out = join(process.cwd(), 'runs', 'graph-demo');

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  const session = await TrainingSession.create({
    runtime: nodeRuntime(),
    build: tinyNet({ batch: 8, size: 32, width: 8 }),
    optimizer: { kind: 'adamw', groups: [{ name: 'net', params: () => true, weightDecay: 5e-4 }] },
    seed: 1337,
  });
  const { forwardNodes, trainingNodes } = session.graphStats();
  console.log(`graph: ${forwardNodes} forward nodes, ${trainingNodes} training-step nodes`);
  const random = new Random(1);
  const losses: number[] = [];
  const t0 = performance.now();
  for (let i = 1; i <= STEPS; i++) {
    const lr = 1e-2 * (1 - (i - 1) / STEPS) ** 0.9; // poly schedule, fed each step: no graph rebuild
    const { loss } = await session.step(discBatch(random, 8, 32), { lr });
    losses.push(loss!);
    if (i % 25 === 0 || i === 1)
      console.log(`step ${String(i).padStart(4)}/${STEPS}  loss ${loss!.toFixed(4)}  ${((performance.now() - t0) / i).toFixed(0)} ms/step`);
  }
  writeFileAtomic(join(out, 'model.onnx'), session.exportInference());
  saveWeights(session, join(out, 'weights.safetensors'));
  writeFileSync(join(out, 'losses.json'), JSON.stringify({ steps: STEPS, losses }));
  console.log(
    `loss ${losses[0]!.toFixed(4)} → ${losses[losses.length - 1]!.toFixed(4)}; wrote ${out}/model.onnx, weights.safetensors, losses.json`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * Optional parity suite (not part of `pnpm test`; needs Debian's python3-torch): `mcsc grad` against
 * PyTorch autograd on the same weights and batch. Pass: loss within 1e-5, every gradient tensor within
 * 1e-3 relative (max |ours − torch| / max |torch|). Run: `pnpm parity`.
 * A conv bias that feeds BatchNorm has an exact gradient of 0 (the batch mean removes it); both sides
 * then hold float32 noise (~1e-8 … 1e-11), so such tensors — max |torch| below 1e-6 × the largest
 * gradient of the model — are compared absolutely against that floor instead.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random, TrainingSession, decodeSafetensors, encodeSafetensors, nodeRuntime, saveWeights } from '@mcsc/graph/node';
import { computeGrad } from '../../packages/train/src/cli/grad';
import { parseModelConfig, type ModelConfig } from '../../packages/train/src/models/model-config';
import { segmentationNet } from '../../packages/train/src/models/segmentation-net';

const PYTHON = process.env.PARITY_PYTHON ?? '/usr/bin/python3';

async function parity(label: string, config: ModelConfig, size: number, b: number): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'mcsc-parity-'));
  const configPath = join(dir, 'model.json');
  writeFileSync(configPath, JSON.stringify(config));
  const session = await TrainingSession.create({
    runtime: nodeRuntime(),
    build: (g) => ({ outputs: { y: segmentationNet(g, g.input('image', [1, 1, size, size]), config).logits } }),
    seed: 1337,
  });
  const weights = join(dir, 'weights.safetensors');
  saveWeights(session, weights);
  const r = new Random(7);
  const batch = join(dir, 'batch.safetensors');
  writeFileSync(
    batch,
    encodeSafetensors(
      new Map([
        ['image', { dtype: 'float32', shape: [b, 1, size, size], data: Float32Array.from({ length: b * size * size }, () => r.normal()) }],
        [
          'label',
          {
            dtype: 'int64',
            shape: [b, size, size],
            data: BigInt64Array.from({ length: b * size * size }, () => BigInt(r.int(config.numClasses))),
          },
        ],
      ]),
    ),
  );
  const ours = join(dir, 'ours.safetensors');
  const theirs = join(dir, 'torch.safetensors');
  await computeGrad({ modelConfig: configPath, weights, batch, out: ours });
  execFileSync(PYTHON, [join(__dirname, 'torch_reference.py'), configPath, weights, batch, theirs], { stdio: 'inherit' });

  const a = decodeSafetensors(readFileSync(ours)).tensors;
  const t = decodeSafetensors(readFileSync(theirs)).tensors;
  const lossA = a.get('loss')!.data[0] as number;
  const lossT = t.get('loss')!.data[0] as number;
  let worst = { name: '', rel: 0 };
  let failures = 0;
  let zeroGrads = 0;
  let global = 0;
  for (const [name, ref] of t) if (name !== 'loss') for (const v of ref.data as Float32Array) global = Math.max(global, Math.abs(v));
  const floor = 1e-6 * global;
  for (const [name, ref] of t) {
    if (name === 'loss') continue;
    const got = a.get(name);
    if (!got) throw new Error(`parity: no gradient for ${name} from mcsc grad`);
    const x = got.data as Float32Array;
    const y = ref.data as Float32Array;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < y.length; i++) {
      diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
      scale = Math.max(scale, Math.abs(y[i]!));
    }
    if (scale < floor) {
      zeroGrads++;
      if (diff > floor) failures++;
      continue;
    }
    const rel = diff / scale;
    if (rel > worst.rel) worst = { name, rel };
    if (rel > 1e-3) failures++;
  }
  const lossOk = Math.abs(lossA - lossT) <= 1e-5;
  console.log(
    `${label} parity: loss ours ${lossA} torch ${lossT} (|Δ| ${Math.abs(lossA - lossT).toExponential(2)}); ${t.size - 1} gradients (${zeroGrads} exactly-zero ones within ${floor.toExponential(1)} absolute), worst ${worst.name} at ${worst.rel.toExponential(2)} relative; ${failures} over tolerance`,
  );
  return lossOk && failures === 0;
}

async function main(): Promise<void> {
  const results = [
    await parity('UNet', parseModelConfig({ arch: 'unet', inChannels: 1, numClasses: 4 }), 64, 2),
    await parity(
      'Swin-UNet (small, shifted windows)',
      parseModelConfig({
        arch: 'swin-unet',
        imgSize: 32,
        patchSize: 4,
        embedDim: 12,
        depths: [2, 2],
        numHeads: [2, 4],
        windowSize: 4,
        numClasses: 4,
      }),
      32,
      2,
    ),
  ];
  const passed = results.filter(Boolean).length;
  console.log(`${passed} passed, ${results.length - passed} failed`);
  if (passed !== results.length) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * Network benchmark: eval forward and one training step (0.5·(CE + Dice), AdamW) of the UNet and the
 * Swin-UNet at the paper preset (batch 4, 224) and the CPU preset (batch 4, 128). Each configuration
 * runs in its own process so its peak RSS is its own. Prints a Markdown table.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Random, TrainingSession, softmax, nodeRuntime } from '@mcsc/graph/node';
import { graphLosses } from '@mcsc/core';
import { networkPreset, type NetworkPresetName } from '../src/models/presets';
import { segmentationNet } from '../src/models/segmentation-net';
import { medianMs } from '../../graph/bench/timing';

const BATCH = 4;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

async function measure(preset: NetworkPresetName, arch: 'cnn' | 'transformer'): Promise<string> {
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
  const time = (f: () => Promise<unknown>) => medianMs(REPEATS, f);
  const fwd = await time(() => session.evaluate({ image }));
  const step = await time(() => session.step({ image, label }, { lr: 1e-4 }));
  const params = session.parameterNames.reduce((n, k) => n + session.weights().get(k)!.data.length, 0);
  const rss = process.resourceUsage().maxRSS / 1024;
  return `| ${preset} | ${arch === 'cnn' ? 'UNet' : 'Swin-UNet'} | ${BATCH}×1×${size}² | ${params.toLocaleString('en-US')} | ${fwd.toFixed(0)} | ${step.toFixed(0)} | ${(step / fwd).toFixed(2)} | ${rss.toFixed(0)} |`;
}

async function main(): Promise<void> {
  const [preset, arch] = process.argv.slice(2) as [NetworkPresetName?, ('cnn' | 'transformer')?];
  if (preset && arch) {
    console.log(await measure(preset, arch));
    return;
  }
  console.log(`networks, ${cpus().length} cores, medians of ${REPEATS}\n`);
  console.log('| preset | network | input | parameters | eval forward (ms) | training step (ms) | step / forward | peak RSS (MiB) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const p of ['cpu', 'paper'] as const) {
    for (const a of ['cnn', 'transformer'] as const) {
      const row = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), p, a], { encoding: 'utf8' }).trim();
      console.log(row);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

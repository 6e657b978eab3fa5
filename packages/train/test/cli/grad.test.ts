import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random, TrainingSession, decodeSafetensors, encodeSafetensors, nodeRuntime, saveWeights } from '@mcsc/graph/node';
import { computeGrad } from '../../src/cli/grad';
import { parseModelConfig } from '../../src/models/model-config';
import { segmentationNet } from '../../src/models/segmentation-net';

const dir = mkdtempSync(join(tmpdir(), 'mcsc-grad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('mcsc grad writes the loss and one gradient per parameter under reference names; uint8 labels accepted', async () => {
  const config = parseModelConfig({ arch: 'unet', numClasses: 3, channels: [4, 4, 8, 8, 8] });
  const configPath = join(dir, 'm.json');
  writeFileSync(configPath, JSON.stringify(config));
  const weights = join(dir, 'w.safetensors');
  const s = await TrainingSession.create({
    runtime: nodeRuntime(),
    build: (g) => ({ outputs: { y: segmentationNet(g, g.input('image', [1, 1, 16, 16]), config).logits } }),
    seed: 3,
  });
  saveWeights(s, weights);
  const r = new Random(9);
  const batch = join(dir, 'batch.safetensors');
  writeFileSync(
    batch,
    encodeSafetensors(
      new Map([
        ['image', { dtype: 'float32', shape: [2, 1, 16, 16], data: Float32Array.from({ length: 512 }, () => r.normal()) }],
        ['label', { dtype: 'bool', shape: [2, 16, 16], data: Uint8Array.from({ length: 512 }, () => r.int(3)) }],
      ]),
    ),
  );
  const out = join(dir, 'g.safetensors');
  const { loss, parameters } = await computeGrad({ modelConfig: configPath, weights, batch, out });
  const { tensors } = decodeSafetensors(readFileSync(out));
  expect(tensors.get('loss')!.data[0]).toBeCloseTo(loss, 6);
  expect(parameters).toBe(s.parameterNames.length);
  expect(tensors.get('encoder.in_conv.conv_conv.0.weight')!.shape).toEqual([4, 1, 3, 3]);
  expect(tensors.get('classifier.conv1.bias')!.shape).toEqual([3]);
  expect(Number.isFinite(loss) && loss > 0).toBe(true);
});

test('a batch without labels of the image size is a clear error naming the file', async () => {
  const batch = join(dir, 'bad-batch.safetensors');
  writeFileSync(
    batch,
    encodeSafetensors(
      new Map([
        ['image', { dtype: 'float32', shape: [1, 1, 16, 16], data: new Float32Array(256) }],
        ['label', { dtype: 'int64', shape: [1, 8, 8], data: new BigInt64Array(64) }],
      ]),
    ),
  );
  writeFileSync(join(dir, 'u.json'), '{"arch":"unet"}');
  await expect(computeGrad({ modelConfig: join(dir, 'u.json'), weights: 'none', batch, out: join(dir, 'x.safetensors') })).rejects.toThrow(
    "bad-batch.safetensors: tensor 'label' must be int64 or uint8 [1, 16, 16], got int64 [1, 8, 8]",
  );
});

import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ndarray from 'ndarray';
import * as ort from 'onnxruntime-node';
import { Graph, Random, TrainingSession, decodeSafetensors, emitModel, encodeSafetensors, softmax } from '@mcsc/graph';
import { crossEntropy, diceLoss as referenceDice, softmax as referenceSoftmax } from '@mcsc/core';
import { computeGrad } from '../../src/cli/grad';
import { crossEntropyLoss, diceLoss } from '../../src/losses/supervised-loss';
import { parseModelConfig } from '../../src/models/model-config';
import { segmentationNet } from '../../src/models/segmentation-net';

const dir = mkdtempSync(join(tmpdir(), 'mcsc-grad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('graph CE and Dice equal the float64 references of @mcsc/core (1e-5 relative)', async () => {
  const [b, k, h, w] = [2, 4, 5, 3];
  const r = new Random(4);
  const logits = Float32Array.from({ length: b * k * h * w }, () => 2 * r.normal());
  const labels = BigInt64Array.from({ length: b * h * w }, () => BigInt(r.int(k)));
  const g = new Graph();
  const x = g.input('logits', [b, k, h, w]);
  const y = g.input('labels', [b, h, w], 'int64');
  const s = await ort.InferenceSession.create(emitModel(g, { outputs: { ce: crossEntropyLoss(x, y), dice: diceLoss(softmax(x, 1), y) } }).bytes);
  const out = await s.run({ logits: new ort.Tensor('float32', logits, [b, k, h, w]), labels: new ort.Tensor('int64', labels, [b, h, w]) });
  const lab = ndarray(Float64Array.from(labels, Number), [b, h, w]);
  const ce = crossEntropy(ndarray(Float64Array.from(logits), [b, k, h, w]), lab);
  const dice = referenceDice(referenceSoftmax(ndarray(Float64Array.from(logits), [b, k, h, w]), 1), lab, k);
  expect(Math.abs((out.ce!.data as Float32Array)[0]! - ce)).toBeLessThan(1e-5 * Math.abs(ce));
  expect(Math.abs((out.dice!.data as Float32Array)[0]! - dice)).toBeLessThan(1e-5 * Math.abs(dice));
});

test('mcsc grad writes the loss and one gradient per parameter under reference names; uint8 labels accepted', async () => {
  const config = parseModelConfig({ arch: 'unet', numClasses: 3, channels: [4, 4, 8, 8, 8] });
  const configPath = join(dir, 'm.json');
  writeFileSync(configPath, JSON.stringify(config));
  const weights = join(dir, 'w.safetensors');
  const s = await TrainingSession.create({ build: (g) => ({ outputs: { y: segmentationNet(g, g.input('image', [1, 1, 16, 16]), config).logits } }), seed: 3 });
  s.saveWeights(weights);
  const r = new Random(9);
  const batch = join(dir, 'batch.safetensors');
  writeFileSync(batch, encodeSafetensors(new Map([
    ['image', { dtype: 'float32', shape: [2, 1, 16, 16], data: Float32Array.from({ length: 512 }, () => r.normal()) }],
    ['label', { dtype: 'bool', shape: [2, 16, 16], data: Uint8Array.from({ length: 512 }, () => r.int(3)) }],
  ])));
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
  writeFileSync(batch, encodeSafetensors(new Map([
    ['image', { dtype: 'float32', shape: [1, 1, 16, 16], data: new Float32Array(256) }],
    ['label', { dtype: 'int64', shape: [1, 8, 8], data: new BigInt64Array(64) }],
  ])));
  writeFileSync(join(dir, 'u.json'), '{"arch":"unet"}');
  await expect(computeGrad({ modelConfig: join(dir, 'u.json'), weights: 'none', batch, out: join(dir, 'x.safetensors') })).rejects.toThrow(
    "bad-batch.safetensors: tensor 'label' must be int64 or uint8 [1, 16, 16], got int64 [1, 8, 8]",
  );
});

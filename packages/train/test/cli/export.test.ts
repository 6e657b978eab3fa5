import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { decodeSafetensors, encodeSafetensors, TrainingSession, nodeRuntime, saveWeights } from '@mcsc/graph/node';
import { exportModel } from '../../src/cli/export';
import { parseModelConfig } from '../../src/models/model-config';
import { segmentationNet } from '../../src/models/segmentation-net';
import { readFileSync } from 'node:fs';

const dir = mkdtempSync(join(tmpdir(), 'mcsc-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const configPath = join(dir, 'unet.json');
writeFileSync(configPath, JSON.stringify({ arch: 'unet', inChannels: 1, numClasses: 4 }));

describe('mcsc export', () => {
  test('writes an inference model with a dynamic batch and features; reports the parameter count', async () => {
    const out = join(dir, 'unet.onnx');
    const { parameters } = await exportModel({ modelConfig: configPath, out, size: 32, features: true });
    expect(parameters).toBe(1_943_744 + 580);
    const session = await ort.InferenceSession.create(out);
    expect(session.inputNames).toEqual(['image']);
    expect(session.outputNames).toEqual(['probs', 'feature0', 'feature1', 'feature2', 'feature3']);
    const result = await session.run({ image: new ort.Tensor('float32', new Float32Array(3 * 32 * 32).fill(0.5), [3, 1, 32, 32]) });
    expect(result.probs!.dims).toEqual([3, 4, 32, 32]);
    expect(result.feature0!.dims).toEqual([3, 128, 4, 4]);
    const p = result.probs!.data as Float32Array;
    expect(p[0]! + p[1024]! + p[2048]! + p[3072]!).toBeCloseTo(1, 5);
  });

  test('exports a small Swin-UNet; its feature1 is the 1/8-scale token map', async () => {
    const swinConfig = join(dir, 'swin.json');
    writeFileSync(
      swinConfig,
      JSON.stringify({ arch: 'swin-unet', imgSize: 64, embedDim: 12, windowSize: 4, numHeads: [1, 2, 3, 4], numClasses: 3 }),
    );
    const out = join(dir, 'swin.onnx');
    await exportModel({ modelConfig: swinConfig, out, features: true });
    const session = await ort.InferenceSession.create(out);
    const r = await session.run({ image: new ort.Tensor('float32', new Float32Array(2 * 64 * 64).fill(0.2), [2, 1, 64, 64]) });
    expect(r.probs!.dims).toEqual([2, 3, 64, 64]);
    expect(r.feature1!.dims).toEqual([2, 64, 24]);
    expect(r.feature3!.dims).toEqual([2, 12, 64, 64]);
  });

  test('loads weights by reference name, ignoring the reference head decoder.out_conv.*', async () => {
    const base = join(dir, 'base.onnx');
    await exportModel({ modelConfig: configPath, out: base, size: 16 });
    // A "reference checkpoint": this model's weights plus the unused out_conv head.
    const weights = join(dir, 'w.safetensors');
    const session = await TrainingSession.create({
      runtime: nodeRuntime(),
      build: (g) => {
        const net = segmentationNet(g, g.input('image', [1, 1, 16, 16]), parseModelConfig({ arch: 'unet' }));
        return { outputs: { logits: net.logits } };
      },
      seed: 77,
    });
    saveWeights(session, weights);
    const { tensors } = decodeSafetensors(readFileSync(weights));
    tensors.set('decoder.out_conv.weight', { dtype: 'float32', shape: [4, 16, 3, 3], data: new Float32Array(576) });
    writeFileSync(weights, encodeSafetensors(tensors));
    await expect(exportModel({ modelConfig: configPath, weights, out: join(dir, 'loaded.onnx'), size: 16 })).resolves.toEqual({
      parameters: 1_943_744 + 580,
    });
  });

  test('a mismatched weights file is one clear error, and no output file is left', async () => {
    const weights = join(dir, 'bad.safetensors');
    writeFileSync(
      weights,
      encodeSafetensors(new Map([['classifier.conv1.weight', { dtype: 'float32', shape: [2, 16, 3, 3], data: new Float32Array(288) }]])),
    );
    const out = join(dir, 'never.onnx');
    await expect(exportModel({ modelConfig: configPath, weights, out, size: 16 })).rejects.toThrow(
      /bad\.safetensors: weights do not match the model: [\s\S]*missing: encoder\.in_conv\.conv_conv\.0\.weight[\s\S]*shape mismatch: classifier\.conv1\.weight: file \[2, 16, 3, 3\], model \[4, 16, 3, 3\]/,
    );
    expect(readdirSync(dir).filter((f) => f.startsWith('never') || f.includes('.tmp'))).toEqual([]);
  });

  test.each([
    [{ arch: 'unet', numClasses: 1 }, 'numClasses'],
    [{ arch: 'unet', dropout: [0.1, 0.2] }, 'dropout'],
    [{ arch: 'vnet' }, "arch must be 'unet' or 'swin-unet'"],
    [{ arch: 'swin-unet', imgSize: 160 }, 'not a multiple of windowSize 7'],
    [{ arch: 'unet', extra: 1 }, 'extra'],
  ])('bad config %j is a clear error naming %s', (config, field) => {
    expect(() => parseModelConfig(config, 'm.json')).toThrow(new RegExp(`m\\.json: invalid model config[\\s\\S]*${field}`));
  });

  test('defaults are the paper’s', () => {
    expect(parseModelConfig({ arch: 'unet' })).toEqual({
      arch: 'unet',
      inChannels: 1,
      numClasses: 4,
      dropout: [0.05, 0.1, 0.2, 0.3, 0.5],
      channels: [16, 32, 64, 128, 256],
    });
  });
});

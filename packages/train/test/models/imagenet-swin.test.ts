import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, TrainingSession, type NamedTensor, nodeRuntime } from '@mcsc/graph/node';
import { loadImageNetSwin, swinUnet } from '../../src/models/index';
import { tinySwin } from './helpers';

const cfg = tinySwin({ imgSize: 32, patchSize: 4, embedDim: 8, dropPathRate: 0 });
const dir = mkdtempSync(join(tmpdir(), 'mcsc-imagenet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('ImageNet Swin (timm names) loads into encoder and mirrored decoder stages; mismatches are dropped', async () => {
  const session = await TrainingSession.create({
    runtime: nodeRuntime(),
    build: (g) => ({ outputs: { f: swinUnet(g, g.input('image', [1, 1, 32, 32]), cfg).at(-1)! } }),
  });
  const filled = (shape: readonly number[], v: number): NamedTensor => ({
    dtype: 'float32',
    shape,
    data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v),
  });
  const qkv = session.weights().get('swin_unet.layers.1.blocks.0.attn.qkv.weight')!.shape;
  const timm = new Map<string, NamedTensor>([
    ['patch_embed.proj.weight', filled(session.weights().get('swin_unet.patch_embed.proj.weight')!.shape, 0.5)],
    ['layers.1.blocks.0.attn.qkv.weight', filled(qkv, 0.25)],
    ['layers.0.downsample.reduction.weight', filled(session.weights().get('swin_unet.layers.0.downsample.reduction.weight')!.shape, 0.125)],
    ['head.weight', filled([1000, 16], 1)], // the ImageNet classifier: no place in a Swin-UNet
    ['layers.0.blocks.0.mlp.fc1.weight', filled([3, 3], 1)], // wrong shape: dropped
  ]);
  const path = join(dir, 'swin_tiny_timm.safetensors');
  writeFileSync(path, encodeSafetensors(timm));
  const { dropped } = loadImageNetSwin(session, path, 2);
  expect(session.weights().get('swin_unet.patch_embed.proj.weight')!.data[0]).toBe(0.5);
  expect(session.weights().get('swin_unet.layers.1.blocks.0.attn.qkv.weight')!.data[0]).toBe(0.25);
  // layers.1 → layers_up.(2 − 1 − 1) = layers_up.0 (for two stages): the bottleneck expand has no blocks, so dropped;
  // layers.0 → layers_up.1, whose blocks mirror stage 0.
  expect(session.weights().get('swin_unet.layers.0.downsample.reduction.weight')!.data[0]).toBe(0.125);
  expect(dropped).toEqual(
    expect.arrayContaining([
      'swin_unet.head.weight',
      'swin_unet.layers.0.blocks.0.mlp.fc1.weight',
      'swin_unet.layers_up.1.blocks.0.mlp.fc1.weight',
      'swin_unet.layers_up.0.blocks.0.attn.qkv.weight',
    ]),
  );
});

test('…with the decoder copy landing where the mirrored stage has blocks', async () => {
  const session = await TrainingSession.create({
    runtime: nodeRuntime(),
    build: (g) => ({ outputs: { f: swinUnet(g, g.input('image', [1, 1, 32, 32]), cfg).at(-1)! } }),
  });
  const shape = session.weights().get('swin_unet.layers.0.blocks.1.attn.proj.weight')!.shape;
  const path = join(dir, 'one.safetensors');
  writeFileSync(
    path,
    encodeSafetensors(
      new Map([
        ['layers.0.blocks.1.attn.proj.weight', { dtype: 'float32', shape, data: new Float32Array(shape[0]! * shape[1]!).fill(0.75) }],
      ]),
    ),
  );
  loadImageNetSwin(session, path, 2);
  expect(session.weights().get('swin_unet.layers.0.blocks.1.attn.proj.weight')!.data[3]).toBe(0.75);
  expect(session.weights().get('swin_unet.layers_up.1.blocks.1.attn.proj.weight')!.data[3]).toBe(0.75);
});

import { decodeSafetensors, Graph, gradients } from '@mcsc/graph';
import { consistencyWeight } from '@mcsc/core';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { graphBatch, mcscGraph, mcscGraphOptions, NETWORK_PARAMS, parameterGroups } from '../../src/trainer/mcsc-graph';
import { methodConfig } from '../../src/trainer/compare';
import { train } from '../../src/trainer/trainer';
import type { LogRecord } from '../../src/trainer/run-dir';
import { tinyConfig, tinyData } from './tiny';

const dir = mkdtempSync(join(tmpdir(), 'mcsc-graph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = { numClasses: 4, inChannels: 1 };

function inputsOf(method: Parameters<typeof methodConfig>[1]) {
  const options = mcscGraphOptions(methodConfig(tinyConfig(), method), data);
  const g = new Graph({ training: true });
  const built = mcscGraph(options).build(g);
  return {
    options,
    g,
    built,
    inputs: Object.fromEntries(g.inputs.filter((t) => !t.name.startsWith('dropout_mask')).map((t) => [t.name, t.shape.join('x')])),
  };
}

describe('the joint MCSC graph', () => {
  test('MCSC: image [B], labels [B_l], λ, contrast weight and the block feeds of both scales', () => {
    const { inputs, options } = inputsOf('mcsc');
    expect(graphBatch(options)).toBe(4);
    // 64 px, b = 8, reference coverage: 7×7 = 49 blocks, 4 per step; N = B·V·b² = 4·2·64. At 1/8 (8 px, b = 4): 1 block, N = 4·2·16.
    // The heads project only the sampled pixels: per view G·B·b² of them (4·4·64 at 1/1, 1·4·16 at 1/8).
    expect(inputs).toEqual({
      image: '4x1x64x64',
      label: '2x64x64',
      ct_weight: '',
      contrast_weight: '',
      'blockcon_full.points': '4x512',
      'blockcon_full.labels': '4x512',
      'blockcon_full.mask': '512',
      'blockcon_full.pixels': '2x1024',
      'blockcon_eighth.points': '1x128',
      'blockcon_eighth.labels': '1x128',
      'blockcon_eighth.mask': '128',
      'blockcon_eighth.pixels': '2x64',
    });
  });

  test('the labeled-only phase has its own graph: the block feeds of B_l slices, the same batch and parameters', () => {
    const options = mcscGraphOptions(tinyConfig(), data);
    expect(options.contrastSlices).toBe(4);
    const all = new Graph({ training: true });
    mcscGraph(options).build(all);
    const labeled = new Graph({ training: true });
    const phase = mcscGraph({ ...options, contrastSlices: 2 });
    phase.build(labeled);
    expect(phase.slices).toBe(2);
    expect([...phase.blockSpecs.values()].map((s) => [s.slices, s.pointsPerGroup, s.projectedPixels])).toEqual([
      [2, 256, 512],
      [2, 64, 32],
    ]);
    const shapes = (g: Graph) =>
      Object.fromEntries(g.inputs.filter((t) => !t.name.startsWith('dropout_mask')).map((t) => [t.name, t.shape.join('x')]));
    expect(shapes(labeled)).toEqual({
      ...shapes(all),
      'blockcon_full.points': '4x256',
      'blockcon_full.labels': '4x256',
      'blockcon_full.mask': '256',
      'blockcon_full.pixels': '2x512',
      'blockcon_eighth.points': '1x64',
      'blockcon_eighth.labels': '1x64',
      'blockcon_eighth.mask': '64',
      'blockcon_eighth.pixels': '2x32',
    });
    expect(labeled.params.map((p) => `${p.name}${p.shape}`)).toEqual(all.params.map((p) => `${p.name}${p.shape}`));
  });

  test('switches: cross teaching has no contrast inputs, supervised-only takes the B_l labeled slices, single scale one block feed', () => {
    expect(inputsOf('cross-teaching').inputs).toEqual({ image: '4x1x64x64', label: '2x64x64', ct_weight: '' });
    const sup = inputsOf('supervised');
    expect(sup.inputs).toEqual({ image: '2x1x64x64', label: '2x64x64' });
    expect(Object.keys(sup.built.scalars!).sort()).toEqual([
      'ce_cnn',
      'ce_trans',
      'dice_cnn',
      'dice_trans',
      'loss_cnn',
      'loss_trans',
      'sup_cnn',
      'sup_trans',
    ]);
    expect(Object.keys(inputsOf('mcsc-single-scale').inputs).filter((n) => n.startsWith('blockcon'))).toEqual([
      'blockcon_full.points',
      'blockcon_full.labels',
      'blockcon_full.mask',
      'blockcon_full.pixels',
    ]);
  });

  test('three AdamW groups cover every trained parameter; each network owns its own', () => {
    const { g, built } = inputsOf('mcsc');
    const grads = gradients(built.loss!, g.params);
    const trained = g.params.filter((_, i) => grads[i]).map((p) => p.name);
    expect(trained.length).toBe(g.params.length);
    const groups = parameterGroups(5e-4);
    const groupOf = (name: string) => groups.filter((gr) => (gr.params as (n: string) => boolean)(name)).map((gr) => gr.name);
    for (const name of trained) expect(groupOf(name)).toHaveLength(1);
    const count = (group: string) => trained.filter((n) => groupOf(n)[0] === group).length;
    expect([count('cnn') > 0, count('trans') > 0, count('proj') > 0]).toEqual([true, true, true]);
    expect(trained.filter((n) => NETWORK_PARAMS.cnn.owns(n)).every((n) => groupOf(n)[0] === 'cnn')).toBe(true);
    expect(trained.filter((n) => NETWORK_PARAMS.trans.owns(n)).every((n) => groupOf(n)[0] === 'trans')).toBe(true);
    expect(trained).toEqual(
      expect.arrayContaining([
        'classifier1.conv1.weight',
        'classifier2.conv1.weight',
        'projector1.shared.weight',
        'projector8.trans_norm.weight',
      ]),
    );
  });

  test('eval graph: the probabilities of both networks, nothing else', () => {
    const options = mcscGraphOptions(tinyConfig(), data);
    const g = new Graph({ training: false });
    const built = mcscGraph(options).build(g);
    expect(built.loss).toBeUndefined();
    expect(Object.keys(built.outputs!)).toEqual(['probs_cnn', 'probs_trans']);
    expect(g.inputs.map((t) => t.name)).toEqual(['image']);
  });

  test('a short MCSC run: finite losses, L = L_cnn + L_trans as docs/method/losses.md#total-loss, contrast after the switch, falling supervised loss', async () => {
    const config = tinyConfig({ optim: { iterations: 30 }, run: { validateEvery: 30 } });
    const said: string[] = [];
    const result = await train({ config, out: join(dir, 'short'), dataset: await tinyData(), progress: false, log: (m) => said.push(m) });
    // the labeled-only phase (iterations 1–3) ran on its own graph; the switch is said once
    expect(said.filter((m) => m.includes('the contrast takes all'))).toEqual([
      'iteration 3: the contrast takes all 4 slices from here on (its own training graph)',
    ]);
    expect(result.completed).toBe(true);
    const log = result.dir.readLog().filter((r): r is Extract<LogRecord, { type: 'train' }> => r.type === 'train');
    expect(log).toHaveLength(30);
    for (const r of log) {
      for (const v of Object.values(r.losses)) expect(Number.isFinite(v)).toBe(true);
      const l = r.losses;
      const t = r.iteration - 1;
      expect(r.ctWeight).toBeCloseTo(consistencyWeight(t, { weight: 0.1, rampupLength: 10, divisor: 1 }), 12);
      expect(r.contrastSlices).toBe(t < 3 ? 2 : 4);
      expect(l.loss_cnn).toBeCloseTo(l.sup_cnn! + r.ctWeight * l.ct_cnn! + 0.001 * l.con!, 5);
      expect(l.loss_trans).toBeCloseTo(l.sup_trans! + r.ctWeight * l.ct_trans! + 0.001 * l.con!, 5);
      expect(l.loss).toBeCloseTo(l.loss_cnn! + l.loss_trans!, 5);
      expect(l.con).toBeCloseTo(l.con_full! + l.con_eighth!, 5);
      expect(l.sup_cnn).toBeCloseTo(0.5 * (l.ce_cnn! + l.dice_cnn!), 5);
    }
    expect(log.slice(3).some((r) => r.losses.con! > 0)).toBe(true);
    const mean = (rs: typeof log, key: string) => rs.reduce((a, r) => a + r.losses[key]!, 0) / rs.length;
    for (const key of ['sup_cnn', 'sup_trans']) expect(mean(log.slice(-5), key)).toBeLessThan(mean(log.slice(0, 5), key) - 0.05);
    // learning rates per group: poly for cnn/proj; the transformer has fewer than 20 epochs here, so no warm-up
    expect(log[0]!.lr.cnn).toBeCloseTo(5e-4, 12);
    expect(log[0]!.lr.trans).toBeCloseTo(1e-3, 12); // the cpu preset's transformerLr
    expect(log[29]!.lr.cnn).toBeCloseTo(5e-4 * (1 - 29 / 30) ** 0.9, 12);
    // BatchNorm ran in training mode every step (PyTorch's momentum-0.1 update, see @mcsc/graph's tests)
    const final = decodeSafetensors(readFileSync(result.dir.path('final/cnn.safetensors')), 'final/cnn').tensors;
    expect(Number((final.get('encoder.in_conv.conv_conv.1.num_batches_tracked')!.data as BigInt64Array)[0])).toBe(30);
    expect(Array.from(final.get('encoder.in_conv.conv_conv.1.running_var')!.data as Float32Array).some((v) => v !== 1)).toBe(true);
    expect(final.has('classifier.conv1.weight')).toBe(true);
  });

  test('full supervision: every slice labeled trains on labeled batches; MCSC without unlabeled slices is refused', async () => {
    const dataset = await tinyData();
    const all = { data: { labeled: { patients: 4 } } };
    const supervised = tinyConfig(all, { loss: { crossTeaching: { enabled: false }, contrast: { enabled: false } } });
    const result = await train({ config: supervised, out: join(dir, 'full'), dataset, stopAfter: 2, progress: false, log: () => {} });
    expect(result.iteration).toBe(2);
    await expect(train({ config: tinyConfig(all), out: join(dir, 'full-mcsc'), dataset, progress: false, log: () => {} })).rejects.toThrow(
      /every training slice is labeled.*optim\.labeledBatchSize to 4 for full supervision/,
    );
    expect(existsSync(join(dir, 'full-mcsc'))).toBe(false); // refused before anything was written
  });
});

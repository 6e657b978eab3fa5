jest.mock('vega', () => require('./vega-modules').vegaModule('vega'), { virtual: true });
jest.mock('vega-lite', () => require('./vega-modules').vegaModule('vega-lite'), { virtual: true });

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ndarray from 'ndarray';
import { SegmentationMetricAggregator, zoomNearest2D, type EmptyClassRule } from '@mcsc/core';
import { classColour, decodePng, overlayRgba, writeOverlayPngs } from '@mcsc/infer';
import { EVALUATED, evaluateVolumes, type Predictor } from '../../src/trainer/evaluate';
import { Canvas, readPng } from '../../src/trainer/png';
import { chooseOverlaySlices, lossCurves, methodName, overlayPng, writeReport } from '../../src/trainer/report';
import { RunDir } from '../../src/trainer/run-dir';
import type { EvaluationResult } from '../../src/trainer/evaluate';
import type { SegmentationDataset, Volume } from '../../src/data/types';
import { drawnVolume } from '../data/helpers';
import { tinyConfig } from './tiny';
import { preloadVega } from './vega-modules';

const dir = mkdtempSync(join(tmpdir(), 'mcsc-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(preloadVega);

/** A volume [3, 20, 24] with a square of class 1 and a bar of class 2 on every slice, spacing 2 mm in-plane. */
function volume(id: string): Volume {
  const { image, label } = drawnVolume(
    [3, 20, 24],
    (_z, y, x) => (y >= 4 && y < 10 && x >= 4 && x < 10 ? 1 : y >= 14 && y < 17 && x >= 2 && x < 22 ? 2 : 0),
    (c) => c / 2,
  );
  return { caseId: id, shape: [3, 20, 24], image, label, spacing: [5, 2, 2] };
}

/** The test volumes as a dataset (nothing to train on). */
function squares(test: Volume[]): SegmentationDataset {
  return { name: 'squares', numClasses: 3, classNames: ['bg', 'square', 'bar'], train: [], val: [], test };
}

/** A predictor that reads the class off the image (label/2) at patch size: perfect up to the two order-0 zooms. */
function oracle(k: number, p: number, wrongTransformer = false): Predictor {
  const probs = (image: Float32Array, n: number, swap: boolean) => {
    const out = new Float32Array(n * k * p * p);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p * p; j++) {
        let c = Math.round(image[i * p * p + j]! * 2);
        if (swap) c = c === 1 ? 2 : c === 2 ? 1 : 0;
        out[(i * k + c) * p * p + j] = swap ? 0.6 : 1;
        if (swap) out[(i * k + 0) * p * p + j]! += 0.4 * (c === 0 ? 0 : 1);
      }
    }
    return out;
  };
  return async (image, n) => ({ cnn: probs(image, n, false), trans: probs(image, n, wrongTransformer) });
}

describe('evaluation (docs/method/evaluation.md) and the report', () => {
  const vols = [volume('a'), volume('b')];
  const options = { patchSize: 32, numClasses: 3, classNames: ['bg', 'square', 'bar'], batch: 2, spacing: 'mm' as const };

  test('per-volume zoom → predict → zoom back; a perfect CNN scores Dice 1, HD95 0; the ensemble averages softmaxes', async () => {
    // Zooming 20×24 → 32×32 → 20×24 by order 0 is the identity on these maps (checked here), so the oracle is perfect.
    const there = zoomNearest2D(vols[0]!.label.subarray(0, 480), 20, 24, 32, 32);
    expect(Array.from(zoomNearest2D(there, 32, 32, 20, 24))).toEqual(Array.from(vols[0]!.label.subarray(0, 480)));
    const r = await evaluateVolumes(vols, oracle(3, 32, true), options);
    expect(r.unit).toBe('mm');
    expect(r.summaries.cnn.perClass.map((c) => [c.name, c.dice, c.hd95, c.asd])).toEqual([
      ['square', 1, 0, 0],
      ['bar', 1, 0, 0],
    ]);
    expect(r.summaries.cnn.volumes).toBe(2);
    // the Transformer swaps classes 1 and 2: Dice 0 on both
    expect(r.summaries.trans.perClass.map((c) => c.dice)).toEqual([0, 0]);
    // ensemble: CNN 1 vs Transformer 0.6 (+0.4 background) on the swapped class → the CNN's class wins
    expect(r.summaries.ensemble.mean.dice).toBe(1);
    expect(Array.from(r.predictions[1]!.cnn)).toEqual(Array.from(vols[1]!.label));
  });

  test('HD95/ASD in voxels when asked, or when a volume has no spacing', async () => {
    const r = await evaluateVolumes(vols, oracle(3, 32, true), { ...options, spacing: 'voxel' });
    expect(r.unit).toBe('voxel');
    const noSpacing: Volume = { ...vols[0]!, caseId: 'c' };
    delete (noSpacing as { spacing?: unknown }).spacing;
    expect((await evaluateVolumes([noSpacing], oracle(3, 32), options)).unit).toBe('voxel');
    await expect(evaluateVolumes([], oracle(3, 32), options)).rejects.toThrow(/no volumes to evaluate/);
  });

  test('writes report.json, report.md, curves and overlays that decode as PNG', async () => {
    const dataset = squares(vols);
    const test = await evaluateVolumes(vols, oracle(3, 32, true), options);
    const run = new RunDir(join(dir, 'run'));
    const config = tinyConfig({ run: { overlays: 2 } });
    const log = [1, 2, 3].map((iteration) => ({
      type: 'train' as const,
      iteration,
      seconds: iteration,
      lr: { cnn: 1 },
      ctWeight: 0.1,
      contrastSlices: 2,
      losses: { loss: 3 - iteration / 2, sup_cnn: 1 / iteration, sup_trans: 1, ct_cnn: 0.5, ct_trans: 0.4, con_full: 2, con_eighth: 1 },
    }));
    const report = await writeReport(run, {
      config,
      dataset,
      labeled: { slices: 4, cases: ['p1'] },
      iterations: 3,
      trainSeconds: 6,
      best: { cnn: { dice: 0.5, iteration: 2 } },
      test,
      log: [...log, { type: 'val', iteration: 3, seconds: 3, dice: { cnn: 0.5, trans: 0.2, ensemble: 0.4 } }],
    });
    expect(report.method).toBe('mcsc');
    expect(report.iterationsPerSecond).toBe(0.5);
    expect(report.results.trans.perClass.map((c) => c.name)).toEqual(['square', 'bar']);
    expect(report.files).toEqual([
      'report.json',
      'report.md',
      'report.html',
      'loss.png',
      'val.png',
      'overlays/00-a-z0.png',
      'overlays/01-b-z0.png',
    ]);
    const html = readFileSync(run.path('report.html'), 'utf8');
    expect(html).toMatch(/<td>CNN \(UNet\)<\/td>\s*<td>100\.00<\/td>/);
    expect(html).toContain('<img src="overlays/01-b-z0.png"');
    expect(html).toContain('<img src="loss.png"'); // the PNG files, folded away under the charts
    // Charts: inline SVG with axis titles and legends (Vega-Lite), one per figure.
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(html).not.toContain('Charts not drawn');
    expect(svgs).toHaveLength(3);
    const [loss, val, perVolume] = svgs;
    for (const title of [
      'Training losses',
      'iteration',
      'loss',
      'term',
      'network',
      'total',
      'supervised',
      'cross teaching',
      'contrastive',
      'scale 1/8',
      '½(CE + Dice)',
      'pseudo-label Dice',
    ])
      expect(loss).toContain(`>${title}<`);
    for (const title of ['Validation Dice', 'mean Dice (%)', 'network', 'Transformer (Swin-UNet)']) expect(val).toContain(`>${title}<`);
    for (const title of ['Test Dice per volume', 'Dice (%)', 'model', 'square', 'bar', 'all (mean)'])
      expect(perVolume).toContain(`>${title}<`);
    for (const svg of svgs) {
      expect(svg).toMatch(/role-legend/);
      expect(svg).toMatch(/role-axis-title/);
      // readable text: no font below 11 px
      const sizes = [...svg!.matchAll(/font-size="(\d+(?:\.\d+)?)px"/g)].map((m) => Number(m[1]));
      expect(sizes.length).toBeGreaterThan(0);
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
    }
    expect(html).not.toContain('Charts not drawn');
    expect(JSON.parse(readFileSync(run.path('report.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));
    const md = readFileSync(run.path('report.md'), 'utf8');
    expect(md).toContain('| CNN (UNet) | 100.00 | 0.00 | 0.00 |');
    expect(md).toContain('| Transformer (Swin-UNet) | 0.00 |');
    expect(md).toContain('HD95 and ASD in mm');
    expect(md).toContain('Empty-class rule: published (SSL4MIS');
    expect(md).toContain('| square | 100.00 | 0.00 | 0.00 | 2 | 0 |');
    expect(report.emptyClass).toBe('published');
    expect(report.results.trans.perVolume[0]!.perClass!.map((m) => m.dice)).toEqual([0, 0]);
    expect(md).toContain('cnn from iteration 2 (validation Dice 50.0); trans final');
    const overlay = readPng(readFileSync(run.path('overlays/00-a-z0.png')));
    expect([overlay.width, overlay.height]).toEqual([5 * (24 * 8 + 4) + 4, 20 * 8 + 20]);
    const curves = readPng(readFileSync(run.path('loss.png')));
    expect([curves.width, curves.height]).toEqual([640, 4 * 170]);
    expect(curves.data.some((v, i) => i % 4 === 2 && v === 180)).toBe(true); // the blue of the first series is drawn
    expect(readPng(readFileSync(run.path('val.png'))).height).toBe(200);
  });

  test("the report states its empty-class rule; under 'ignore' a volume without a class is left out of that class", async () => {
    // Volume b has no bar (class 2) in its ground truth, and the CNN predicts none there either.
    const b = volume('b');
    b.label.forEach((v, i) => {
      if (v === 2) {
        b.label[i] = 0;
        b.image[i] = 0;
      }
    });
    const both = [volume('a'), b];
    const dataset = squares(both);
    const evaluated = await evaluateVolumes(both, oracle(3, 32, true), options);
    // The same predictions, aggregated under each rule (the rule is the aggregator's setting).
    const summaries = (rule: EmptyClassRule) =>
      Object.fromEntries(
        EVALUATED.map((e) => {
          const agg = new SegmentationMetricAggregator({
            numClasses: 3,
            spacingMode: 'mm',
            classNames: ['square', 'bar'],
            emptyClass: rule,
          });
          both.forEach((v, i) =>
            agg.add(ndarray(evaluated.predictions[i]![e], [...v.shape]), ndarray(v.label, [...v.shape]), {
              id: v.caseId,
              spacing: [...v.spacing!],
            }),
          );
          return [e, agg.aggregate()];
        }),
      ) as unknown as EvaluationResult['summaries'];
    const input = (rule: EmptyClassRule) => ({
      config: tinyConfig(),
      dataset,
      labeled: { slices: 4, cases: ['p1'] },
      iterations: 3,
      trainSeconds: 6,
      best: {},
      log: [],
      test: { ...evaluated, summaries: summaries(rule) },
    });
    const published = await writeReport(new RunDir(join(dir, 'published')), input('published'));
    const ignore = await writeReport(new RunDir(join(dir, 'ignore')), input('ignore'));
    expect([published.emptyClass, ignore.emptyClass]).toEqual(['published', 'ignore']);
    // CNN on the bar: published (1 + 0)/2 — volume b counts with Dice 0 although nothing was there to find; ignore: 1.
    expect(published.results.cnn.perClass[1]).toMatchObject({ dice: 0.5, emptyReference: 1, skipped: { dice: 0, hd95: 0 } });
    expect(ignore.results.cnn.perClass[1]).toMatchObject({ dice: 1, emptyReference: 1, skipped: { dice: 1, jaccard: 1, hd95: 1, asd: 1 } });
    expect(ignore.results.cnn.mean.dice).toBe(1);
    const md = readFileSync(join(dir, 'ignore', 'report.md'), 'utf8');
    expect(md).toContain("Empty-class rule: ignore (MONAI's ignore_empty)");
    expect(md).toContain('| bar | 100.00 | 0.00 | 0.00 | 1 | 1 |');
    expect(readFileSync(join(dir, 'published', 'report.md'), 'utf8')).toContain('| bar | 50.00 | 0.00 | 0.00 | 2 | 1 |');
    // report.json: the left-out pair is null (NaN)
    const json = JSON.parse(readFileSync(join(dir, 'ignore', 'report.json'), 'utf8'));
    expect(json.results.cnn.perVolume[1].perClass[1]).toEqual({ dice: null, jaccard: null, hd95: null, asd: null });
    expect(json.emptyClass).toBe('ignore');
    const html = readFileSync(join(dir, 'ignore', 'report.html'), 'utf8');
    expect(html).toContain('ignore (MONAI');
    expect(html).toContain('a volume without the class in its ground truth is not drawn for that class');
  });

  test('the report overlays colour class k as `mcsc predict` does (one palette: @mcsc/infer classColour)', async () => {
    // One 8×10 slice: classes 0 … 4 in vertical bands over a grey ramp whose first row is black (its minimum).
    const [h, w] = [8, 10];
    const label = Uint8Array.from({ length: h * w }, (_, i) => Math.floor((i % w) / 2));
    const image = Float32Array.from({ length: h * w }, (_, i) => (i < w ? 0 : 1 + ((i * 7) % 23)));
    const vol: Volume = { caseId: 'p', shape: [1, h, w], image, label };
    const ds: SegmentationDataset = { name: 'x', numClasses: 5, classNames: ['bg', 'a', 'b', 'c', 'd'], train: [], val: [], test: [vol] };
    const predictions = [{ cnn: label, trans: label, ensemble: label }];
    const report = readPng(overlayPng(ds, { predictions } as unknown as EvaluationResult, 0, 0));
    // `mcsc predict`'s overlay of the same slice and labels.
    const [predicted] = await writeOverlayPngs(join(dir, 'predict-overlays'), image, label, [1, h, w]);
    const predict = decodePng(readFileSync(predicted!), predicted!);
    expect([predict.width, predict.height]).toEqual([w, h]);
    // The ground-truth tile (second of five): each label pixel is a `zoom`×`zoom` square.
    const zoom = Math.floor(192 / Math.max(h, w));
    const [x0, y0] = [4 + (w * zoom + 4), 16];
    const reportRgb = (x: number, y: number) =>
      Array.from(
        report.data.subarray(
          ((y0 + y * zoom) * report.width + x0 + x * zoom) * 4,
          ((y0 + y * zoom) * report.width + x0 + x * zoom) * 4 + 3,
        ),
      );
    const predictRgb = (x: number, y: number) => Array.from(predict.rgba.subarray((y * w + x) * 4, (y * w + x) * 4 + 3));
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect(reportRgb(x, y)).toEqual(predictRgb(x, y));
    // Classes 1 … 4 take classColour(k): on the black first row the blend (opacity 0.5) is half of it.
    for (let k = 1; k <= 4; k++) {
      const half = classColour(k).map((c) => c / 2);
      reportRgb(2 * k, 0).forEach((v, ch) => expect(Math.abs(v - half[ch]!)).toBeLessThanOrEqual(0.5));
      expect(Array.from(overlayRgba([0], [k], 1, 1, { window: [0, 1] }).subarray(0, 3))).toEqual(reportRgb(2 * k, 0));
    }
    expect(new Set([1, 2, 3, 4].map((k) => classColour(k).join())).size).toBe(4);
  });

  test('figure helpers: empty logs, text, overlay slice choice, method names', () => {
    expect(readPng(lossCurves([])).width).toBe(640);
    const c = new Canvas(20, 8);
    c.text(1, 1, '0.5', [0, 0, 0]);
    expect(c.data.filter((v) => v === 0).length).toBeGreaterThan(0);
    const vol = volume('z');
    vol.label.fill(0, 0, 480); // slice 0 empty
    const ds: SegmentationDataset = { name: 'x', numClasses: 3, classNames: ['a', 'b', 'c'], train: [], val: [], test: [vol] };
    expect(chooseOverlaySlices(ds, 4)).toEqual([{ volume: 0, z: 1 }]);
    expect(methodName(tinyConfig({ loss: { contrast: { enabled: false } } }))).toBe('cross-teaching');
    expect(methodName(tinyConfig({ loss: { contrast: { enabled: false }, crossTeaching: { enabled: false } } }))).toBe('supervised');
    expect(methodName(tinyConfig({ loss: { contrast: { classBalanced: false, scales: ['full'] } } }))).toBe('mcsc-unbalanced-full-scale');
  });
});

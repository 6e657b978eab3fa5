/**
 * The final test report of a run: `report.json` (everything, per class, per volume), `report.md`
 * (the tables a person reads), `report.html` (the same with the figures, for a browser), `loss.png`
 * and `val.png` (curves from log.jsonl) and `overlays/*.png` (test slices: image, ground truth, CNN,
 * Transformer, ensemble).
 */
import type { AggregateSummary, MetricValues } from '@mcsc/core';
import { writeFileAtomic } from '@mcsc/graph/node';
import { imageRange, overlayRgba } from '@mcsc/infer';
import type { SegmentationDataset } from '../data/types.js';
import type { TrainConfig } from './config.js';
import { EVALUATED, type EvaluationResult, type Evaluated } from './evaluate.js';
import { Canvas, textWidth, type Rgb } from './png.js';
import { reportHtml } from './report-html.js';
import type { BestRecord, LogRecord, RunDir } from './run-dir.js';

export const MODEL_TITLES: Readonly<Record<Evaluated, string>> = { cnn: 'CNN (UNet)', trans: 'Transformer (Swin-UNet)', ensemble: 'Ensemble (mean of softmaxes)' };

export interface ReportInput {
  config: TrainConfig;
  dataset: SegmentationDataset;
  labeled: { slices: number; cases: readonly string[] };
  iterations: number;
  trainSeconds: number;
  best: Partial<Record<'cnn' | 'trans', BestRecord>>;
  test: EvaluationResult;
  log: readonly LogRecord[];
}

export interface ClassRow extends MetricValues {
  readonly name: string;
}

export interface Report {
  readonly format: 'mcsc-report';
  readonly run: string;
  readonly method: string;
  readonly seed: number;
  readonly data: { name: string; trainSlices: number; labeledSlices: number; labeledCases: readonly string[]; testVolumes: number; valVolumes: number };
  readonly iterations: number;
  readonly trainSeconds: number;
  readonly iterationsPerSecond: number;
  /** Unit of HD95 and ASD. */
  readonly unit: 'mm' | 'voxel';
  /** Iteration and validation Dice of the weights each network was tested with. */
  readonly weights: Partial<Record<'cnn' | 'trans', BestRecord>>;
  readonly results: Readonly<Record<Evaluated, { perClass: ClassRow[]; mean: MetricValues; perVolume: { id: string; mean: MetricValues }[] }>>;
  readonly files: readonly string[];
}

/** A short name of the ingredients that are on: supervised, cross-teaching, mcsc (+ variants). */
export function methodName(config: TrainConfig): string {
  const { crossTeaching, contrast } = config.loss;
  if (!contrast.enabled) return crossTeaching.enabled ? 'cross-teaching' : 'supervised';
  const parts = [crossTeaching.enabled ? 'mcsc' : 'contrast-only'];
  if (!contrast.classBalanced) parts.push('unbalanced');
  if (contrast.scales.length === 1) parts.push(`${contrast.scales[0]}-scale`);
  return parts.join('-');
}

/** Writes report.json, report.md, loss.png, val.png and the overlays; returns the report. */
export function writeReport(dir: RunDir, input: ReportInput): Report {
  const files: string[] = ['report.json', 'report.md', 'report.html', 'loss.png', 'val.png'];
  writeFileAtomic(dir.path('loss.png'), lossCurves(input.log));
  writeFileAtomic(dir.path('val.png'), validationCurves(input.log));
  const overlays = chooseOverlaySlices(input.dataset, input.config.run.overlays);
  overlays.forEach(({ volume, z }, i) => {
    const name = `overlays/${String(i).padStart(2, '0')}-${input.dataset.test[volume]!.caseId}-z${z}.png`;
    writeFileAtomic(dir.path(name), overlayPng(input.dataset, input.test, volume, z));
    files.push(name);
  });
  const summarise = (s: AggregateSummary) => ({
    perClass: s.perClass.map((c) => ({ name: c.name, dice: c.dice, jaccard: c.jaccard, hd95: c.hd95, asd: c.asd })),
    mean: s.mean,
    perVolume: s.perVolume.map((v) => ({ id: v.id, mean: v.mean })),
  });
  const report: Report = {
    format: 'mcsc-report',
    run: input.config.name,
    method: methodName(input.config),
    seed: input.config.seed,
    data: {
      name: input.dataset.name, trainSlices: input.dataset.train.length, labeledSlices: input.labeled.slices, labeledCases: input.labeled.cases,
      testVolumes: input.dataset.test.length, valVolumes: input.dataset.val.length,
    },
    iterations: input.iterations,
    trainSeconds: input.trainSeconds,
    iterationsPerSecond: input.trainSeconds > 0 ? input.iterations / input.trainSeconds : 0,
    unit: input.test.unit,
    weights: input.best,
    results: Object.fromEntries(EVALUATED.map((e) => [e, summarise(input.test.summaries[e])])) as Report['results'],
    files,
  };
  writeFileAtomic(dir.path('report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = reportMarkdown(report);
  writeFileAtomic(dir.path('report.md'), markdown);
  writeFileAtomic(dir.path('report.html'), reportHtml(report, markdown));
  return report;
}

const fmt = (v: number, digits = 2) => (Number.isNaN(v) ? '—' : v.toFixed(digits));

export function reportMarkdown(r: Report): string {
  const unit = r.unit === 'mm' ? 'mm' : 'voxels';
  const lines = [
    `# ${r.run}: ${r.method}, test report`,
    '',
    `Data: ${r.data.name}, ${r.data.trainSlices} training slices of which ${r.data.labeledSlices} labeled (${r.data.labeledCases.length} case${r.data.labeledCases.length === 1 ? '' : 's'}: ${r.data.labeledCases.join(', ')}), ${r.data.valVolumes} validation and ${r.data.testVolumes} test volumes.`,
    `Training: ${r.iterations} iterations in ${(r.trainSeconds / 60).toFixed(1)} min (${r.iterationsPerSecond.toFixed(2)} it/s), seed ${r.seed}.`,
    `Weights tested: ${(['cnn', 'trans'] as const).map((n) => (r.weights[n] ? `${n} from iteration ${r.weights[n]!.iteration} (validation Dice ${fmt(100 * r.weights[n]!.dice, 1)})` : `${n} final`)).join('; ')}.`,
    `Dice in %, HD95 and ASD in ${unit}; per test volume, then averaged (docs/method/evaluation.md).`,
    '',
    '| model | mean Dice | mean HD95 | mean ASD |',
    '| --- | --- | --- | --- |',
    ...EVALUATED.map((e) => `| ${MODEL_TITLES[e]} | ${fmt(100 * r.results[e].mean.dice)} | ${fmt(r.results[e].mean.hd95)} | ${fmt(r.results[e].mean.asd)} |`),
  ];
  for (const e of EVALUATED) {
    lines.push('', `## ${MODEL_TITLES[e]}`, '', '| class | Dice | HD95 | ASD |', '| --- | --- | --- | --- |');
    for (const c of r.results[e].perClass) lines.push(`| ${c.name} | ${fmt(100 * c.dice)} | ${fmt(c.hd95)} | ${fmt(c.asd)} |`);
    lines.push(`| **mean** | **${fmt(100 * r.results[e].mean.dice)}** | **${fmt(r.results[e].mean.hd95)}** | **${fmt(r.results[e].mean.asd)}** |`);
  }
  lines.push('', 'Figures: `loss.png` (training losses), `val.png` (validation Dice), `overlays/` (test slices).', '');
  return lines.join('\n');
}

/** Line colours of the curves' series (matplotlib's tab10), not classes: class colours are @mcsc/infer's `classColour`. */
const SERIES_COLOURS: readonly Rgb[] = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127]];
const INK: Rgb = [40, 40, 40];
const GRID: Rgb = [225, 225, 225];

interface Series {
  name: string;
  points: [number, number][];
}

/** One chart panel: axes with min/max labels, series as polylines, a legend. */
function drawPanel(c: Canvas, x0: number, y0: number, w: number, h: number, title: string, series: Series[]): void {
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  c.text(x0, y0, title, INK, 2);
  const top = y0 + 16;
  const left = x0 + 48;
  const plotW = w - 56;
  const plotH = h - 36;
  c.line(left, top, left, top + plotH, INK);
  c.line(left, top + plotH, left + plotW, top + plotH, INK);
  if (all.length === 0) return;
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  let [yMin, yMax] = [Math.min(...ys), Math.max(...ys)];
  if (yMax - yMin < 1e-9) [yMin, yMax] = [yMin - 0.5, yMax + 0.5];
  const px = (x: number) => left + ((x - xMin) / Math.max(xMax - xMin, 1e-9)) * plotW;
  const py = (y: number) => top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  for (let k = 1; k < 4; k++) c.line(left + 1, top + (k * plotH) / 4, left + plotW, top + (k * plotH) / 4, GRID);
  const label = (v: number) => (Math.abs(v) >= 100 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : v.toPrecision(3));
  c.text(x0, top, label(yMax), INK);
  c.text(x0, top + plotH - 5, label(yMin), INK);
  c.text(left, top + plotH + 4, String(xMin), INK);
  c.text(left + plotW - textWidth(String(xMax)), top + plotH + 4, String(xMax), INK);
  series.forEach((s, i) => {
    const color = SERIES_COLOURS[i % SERIES_COLOURS.length]!;
    const pts = s.points.filter(([, y]) => Number.isFinite(y));
    for (let k = 1; k < pts.length; k++) c.line(px(pts[k - 1]![0]), py(pts[k - 1]![1]), px(pts[k]![0]), py(pts[k]![1]), color);
    if (pts.length === 1) c.fillRect(px(pts[0]![0]) - 1, py(pts[0]![1]) - 1, 3, 3, color);
    const lx = left + plotW - 110;
    c.fillRect(lx, top + 4 + i * 9, 8, 3, color);
    c.text(lx + 12, top + 3 + i * 9, s.name, INK);
  });
}

/** Training losses from the log, one panel per family (total, supervised, cross teaching, contrastive). */
export function lossCurves(log: readonly LogRecord[]): Uint8Array {
  const train = log.filter((r): r is Extract<LogRecord, { type: 'train' }> => r.type === 'train');
  const series = (key: string): Series => ({ name: key, points: train.filter((r) => key in r.losses).map((r) => [r.iteration, r.losses[key]!]) });
  const panels: [string, Series[]][] = [
    ['total loss', [series('loss')]],
    ['supervised 0.5(CE+DICE)', [series('sup_cnn'), series('sup_trans')]],
    ['cross teaching', [series('ct_cnn'), series('ct_trans')]],
    ['contrastive', [series('con_full'), series('con_eighth')]],
  ];
  const shown = panels.filter(([, s]) => s.some((x) => x.points.length > 0));
  const w = 640;
  const h = 170;
  const c = new Canvas(w, Math.max(1, shown.length) * h);
  shown.forEach(([title, s], i) => drawPanel(c, 4, 4 + i * h, w - 8, h - 8, title, s.filter((x) => x.points.length > 0)));
  return c.toPng();
}

/** Validation mean Dice (%) of each network over the iterations. */
export function validationCurves(log: readonly LogRecord[]): Uint8Array {
  const val = log.filter((r): r is Extract<LogRecord, { type: 'val' }> => r.type === 'val');
  const c = new Canvas(640, 200);
  drawPanel(c, 4, 4, 632, 192, 'validation dice (%)', EVALUATED.map((e) => ({
    name: e, points: val.filter((r) => e in r.dice).map((r) => [r.iteration, 100 * r.dice[e]!] as [number, number]),
  })).filter((s) => s.points.length > 0));
  return c.toPng();
}

/** Up to `count` test slices: the volumes in turn, each at its slice with the most foreground. */
export function chooseOverlaySlices(dataset: SegmentationDataset, count: number): { volume: number; z: number }[] {
  const out: { volume: number; z: number }[] = [];
  for (let v = 0; v < dataset.test.length && out.length < count; v++) {
    const { shape, label } = dataset.test[v]!;
    const plane = shape[1] * shape[2];
    let best = 0;
    let bestCount = -1;
    for (let z = 0; z < shape[0]; z++) {
      let n = 0;
      for (let i = z * plane; i < (z + 1) * plane; i++) if (label[i] !== 0) n++;
      if (n > bestCount) [best, bestCount] = [z, n];
    }
    out.push({ volume: v, z: best });
  }
  return out;
}

/**
 * One test slice as a strip: image, ground truth, CNN, Transformer, ensemble. Each tile is @mcsc/infer's
 * `overlayRgba` (its class palette, `classColour`, and its default opacity) with the slice's own grey
 * window, so class k has the colour `mcsc predict`'s overlays and the web page give it.
 */
export function overlayPng(dataset: SegmentationDataset, test: EvaluationResult, volume: number, z: number): Uint8Array {
  const vol = dataset.test[volume]!;
  const [, h, w] = vol.shape;
  const plane = h * w;
  const image = vol.image.subarray(z * plane, (z + 1) * plane);
  const window = imageRange(image);
  const none = new Uint8Array(plane);
  const tile = (labels: Uint8Array | null): Uint8Array => {
    const rgba = overlayRgba(image, labels === null ? none : labels.subarray(z * plane, (z + 1) * plane), h, w, { window });
    const rgb = new Uint8Array(plane * 3);
    for (let i = 0; i < plane; i++) for (let ch = 0; ch < 3; ch++) rgb[i * 3 + ch] = rgba[i * 4 + ch]!;
    return rgb;
  };
  const zoom = Math.max(1, Math.floor(192 / Math.max(h, w)));
  const tiles: [string, Uint8Array | null][] = [
    ['image', null], ['ground truth', vol.label], ['cnn', test.predictions[volume]!.cnn], ['transformer', test.predictions[volume]!.trans], ['ensemble', test.predictions[volume]!.ensemble],
  ];
  const tw = w * zoom;
  const th = h * zoom;
  const c = new Canvas(tiles.length * (tw + 4) + 4, th + 20, [255, 255, 255]);
  tiles.forEach(([title, labels], i) => {
    c.text(4 + i * (tw + 4), 4, title, INK, 2);
    c.paste(4 + i * (tw + 4), 16, tile(labels), w, h, zoom);
  });
  return c.toPng();
}

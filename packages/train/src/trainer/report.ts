/**
 * The final test report of a run: `report.json` (everything, per class, per volume and class),
 * `report.md` (the tables a person reads), `report.html` (the same with charts drawn by Vega-Lite, see
 * charts.ts, for a browser), `loss.png` and `val.png` (curves from log.jsonl, as files) and
 * `overlays/*.png` (test slices: image, ground truth, CNN, Transformer, ensemble).
 *
 * Every report states its empty-class rule (what a test volume without a class counts as, see
 * @mcsc/core's `EmptyClassRule`). In report.json an undefined value (NaN: left out of the means) is
 * written as `null`.
 */
import type { AggregateSummary, EmptyClassRule, MetricValues } from '@mcsc/core';
import { writeFileAtomic } from '@mcsc/graph/node';
import { describeClasses, type ClassSource } from '../data/classes.js';
import { imageRange, overlayRgba } from '@mcsc/infer';
import type { SegmentationDataset, ValidationTopUp } from '../data/types.js';
import type { TrainConfig } from './config.js';
import { EVALUATED, type EvaluationResult, type Evaluated } from './evaluate.js';
import { lossChart, renderCharts, stripChart, validationChart, type ChartSpec, type StripRow } from './charts.js';
import { Canvas, textWidth, type Rgb } from './png.js';
import { validationTopUpText } from './data.js';
import { reportHtml } from './report-html.js';
import type { BestRecord, LogRecord, RunDir } from './run-dir.js';

export const MODEL_TITLES: Readonly<Record<Evaluated, string>> = {
  cnn: 'CNN (UNet)',
  trans: 'Transformer (Swin-UNet)',
  ensemble: 'Ensemble (mean of softmaxes)',
};

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

/** What each empty-class rule means, as the reports state it. */
export const EMPTY_CLASS_TEXT: Readonly<Record<EmptyClassRule, string>> = {
  published:
    "published (SSL4MIS, the paper's numbers): a test volume whose ground truth has no voxel of a class still counts for that class, with Dice 0 whatever the network predicts (HD95 = ASD = 0 when nothing is predicted; undefined, left out, when something is)",
  ignore:
    "ignore (MONAI's ignore_empty): a test volume whose ground truth has no voxel of a class is left out of that class's means (Dice, HD95 and ASD)",
};

export interface ClassRow extends MetricValues {
  readonly name: string;
  /** Test volumes whose ground truth has no voxel of the class. (Absent in reports before the empty-class rule.) */
  readonly emptyReference?: number;
  /** Test volumes left out of each metric's mean (their value undefined under the rule). */
  readonly skipped?: { readonly dice: number; readonly jaccard: number; readonly hd95: number; readonly asd: number };
}

/** One test volume: its mean over the classes and (since the empty-class rule) each class's values, in class order. */
export interface VolumeRow {
  readonly id: string;
  readonly mean: MetricValues;
  readonly perClass?: readonly MetricValues[];
}

export interface ModelResults {
  readonly perClass: ClassRow[];
  readonly mean: MetricValues;
  readonly perVolume: VolumeRow[];
}

export interface Report {
  readonly format: 'mcsc-report';
  readonly run: string;
  readonly method: string;
  readonly seed: number;
  readonly data: {
    name: string;
    trainSlices: number;
    labeledSlices: number;
    labeledCases: readonly string[];
    testVolumes: number;
    valVolumes: number;
    /** K names and where they came from (absent in reports written before it was recorded). */
    classes?: { names: readonly string[]; source?: ClassSource; origin?: string };
    /** Training cases moved to validation to reach data.minValVolumes (absent when none had to). */
    valFromTrain?: ValidationTopUp;
  };
  readonly iterations: number;
  readonly trainSeconds: number;
  readonly iterationsPerSecond: number;
  /** Unit of HD95 and ASD. */
  readonly unit: 'mm' | 'voxel';
  /** What a test volume without a class counted as (absent in reports written before the rule existed: 'published'). */
  readonly emptyClass?: EmptyClassRule;
  /** Iteration and validation Dice of the weights each network was tested with. */
  readonly weights: Partial<Record<'cnn' | 'trans', BestRecord>>;
  readonly results: Readonly<Record<Evaluated, ModelResults>>;
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

/**
 * Writes report.json, report.md, report.html (with its charts), loss.png, val.png and the overlays;
 * returns the report. The empty-class rule is the one the test evaluation used (its summaries say).
 */
export async function writeReport(dir: RunDir, input: ReportInput): Promise<Report> {
  const files: string[] = ['report.json', 'report.md', 'report.html', 'loss.png', 'val.png'];
  writeFileAtomic(dir.path('loss.png'), lossCurves(input.log));
  writeFileAtomic(dir.path('val.png'), validationCurves(input.log));
  const overlays = chooseOverlaySlices(input.dataset, input.config.run.overlays);
  overlays.forEach(({ volume, z }, i) => {
    const name = `overlays/${String(i).padStart(2, '0')}-${input.dataset.test[volume]!.caseId}-z${z}.png`;
    writeFileAtomic(dir.path(name), overlayPng(input.dataset, input.test, volume, z));
    files.push(name);
  });
  const metrics = (m: MetricValues): MetricValues => ({ dice: m.dice, jaccard: m.jaccard, hd95: m.hd95, asd: m.asd });
  const summarise = (s: AggregateSummary): ModelResults => ({
    perClass: s.perClass.map((c) => ({ name: c.name, ...metrics(c), emptyReference: c.emptyReference, skipped: { ...c.skipped } })),
    mean: metrics(s.mean),
    perVolume: s.perVolume.map((v) => ({ id: v.id, mean: metrics(v.mean), perClass: v.perClass.map(metrics) })),
  });
  const report: Report = {
    format: 'mcsc-report',
    run: input.config.name,
    method: methodName(input.config),
    seed: input.config.seed,
    data: {
      name: input.dataset.name,
      trainSlices: input.dataset.train.length,
      labeledSlices: input.labeled.slices,
      labeledCases: input.labeled.cases,
      testVolumes: input.dataset.test.length,
      valVolumes: input.dataset.val.length,
      classes: {
        names: input.dataset.classNames,
        ...(input.dataset.classSource !== undefined ? { source: input.dataset.classSource } : {}),
        ...(input.dataset.classOrigin !== undefined ? { origin: input.dataset.classOrigin } : {}),
      },
      ...(input.dataset.valFromTrain ? { valFromTrain: input.dataset.valFromTrain } : {}),
    },
    iterations: input.iterations,
    trainSeconds: input.trainSeconds,
    iterationsPerSecond: input.trainSeconds > 0 ? input.iterations / input.trainSeconds : 0,
    unit: input.test.unit,
    emptyClass: input.test.summaries.cnn.emptyClass,
    weights: input.best,
    results: Object.fromEntries(EVALUATED.map((e) => [e, summarise(input.test.summaries[e])])) as Report['results'],
    files,
  };
  writeFileAtomic(dir.path('report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = reportMarkdown(report);
  writeFileAtomic(dir.path('report.md'), markdown);
  const charts = await renderCharts(reportCharts(report, input.log));
  writeFileAtomic(dir.path('report.html'), reportHtml(report, markdown, charts));
  return report;
}

/** The charts of report.html: training losses, validation Dice, per-volume test Dice per class. */
export function reportCharts(report: Report, log: readonly LogRecord[]): ChartSpec[] {
  const titles: Record<string, string> = { ...MODEL_TITLES };
  return [lossChart(log), validationChart(log, titles), perVolumeChart(report)].filter((c): c is ChartSpec => c !== null);
}

/** Per-volume test Dice (%) per class and model, with each class's mean (the table's number) as a bar. */
export function perVolumeChart(report: Report): ChartSpec | null {
  const classes = report.results.cnn.perClass.map((c) => c.name);
  const overall = 'all (mean)';
  const rows: StripRow[] = [];
  const means: { row: string; series: string; value: number }[] = [];
  for (const e of EVALUATED) {
    const res = report.results[e];
    for (const v of res.perVolume) {
      v.perClass?.forEach((m, c) => {
        if (isNumber(m.dice)) rows.push({ row: classes[c]!, series: MODEL_TITLES[e], value: 100 * m.dice, unit: v.id });
      });
      if (isNumber(v.mean.dice)) rows.push({ row: overall, series: MODEL_TITLES[e], value: 100 * v.mean.dice, unit: v.id });
    }
    res.perClass.forEach((c) => means.push({ row: c.name, series: MODEL_TITLES[e], value: isNumber(c.dice) ? 100 * c.dice : NaN }));
    means.push({ row: overall, series: MODEL_TITLES[e], value: isNumber(res.mean.dice) ? 100 * res.mean.dice : NaN });
  }
  const rule = report.emptyClass ?? 'published';
  return stripChart({
    id: 'per-volume',
    title: 'Test Dice per volume',
    caption: `One dot per test volume; the dark bar is the number in the tables (the mean over volumes; for "${overall}", each dot is a volume's mean over the classes and the bar the mean of the class means). Empty-class rule ${rule}: ${rule === 'ignore' ? 'a volume without the class in its ground truth is not drawn for that class' : 'a volume without the class in its ground truth is drawn at 0 for that class'}.`,
    rows,
    rowOrder: [...classes, overall],
    seriesOrder: EVALUATED.map((e) => MODEL_TITLES[e]),
    rowTitle: null,
    seriesTitle: 'model',
    valueTitle: 'Dice (%)',
    domain: [0, 100],
    means,
  });
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);
/** A number to `digits` decimals, or '—' for NaN (null in report.json). */
const fmt = (v: number | null | undefined, digits = 2) => (isNumber(v) ? v.toFixed(digits) : '—');
/** A fraction in % (Dice). */
const pct = (v: number | null | undefined, digits = 2) => (isNumber(v) ? (100 * v).toFixed(digits) : '—');

export function reportMarkdown(r: Report): string {
  const unit = r.unit === 'mm' ? 'mm' : 'voxels';
  const lines = [
    `# ${r.run}: ${r.method}, test report`,
    '',
    `Data: ${r.data.name}, ${r.data.trainSlices} training slices of which ${r.data.labeledSlices} labeled (${r.data.labeledCases.length} case${r.data.labeledCases.length === 1 ? '' : 's'}: ${r.data.labeledCases.join(', ')}), ${r.data.valVolumes} validation and ${r.data.testVolumes} test volumes.`,
    ...(r.data.classes ? [`Classes: ${describeClasses(r.data.classes.names, r.data.classes.origin)}.`] : []),
    ...(r.data.valFromTrain ? [`Validation: ${validationTopUpText(r.data)}`] : []),
    `Training: ${r.iterations} iterations in ${(r.trainSeconds / 60).toFixed(1)} min (${r.iterationsPerSecond.toFixed(2)} it/s), seed ${r.seed}.`,
    `Weights tested: ${(['cnn', 'trans'] as const).map((n) => (r.weights[n] ? `${n} from iteration ${r.weights[n]!.iteration} (validation Dice ${pct(r.weights[n]!.dice, 1)})` : `${n} final`)).join('; ')}.`,
    `Dice in %, HD95 and ASD in ${unit}; per test volume, then averaged (docs/method/evaluation.md).`,
    `Empty-class rule: ${EMPTY_CLASS_TEXT[r.emptyClass ?? 'published']}.`,
    '',
    '| model | mean Dice | mean HD95 | mean ASD |',
    '| --- | --- | --- | --- |',
    ...EVALUATED.map(
      (e) => `| ${MODEL_TITLES[e]} | ${pct(r.results[e].mean.dice)} | ${fmt(r.results[e].mean.hd95)} | ${fmt(r.results[e].mean.asd)} |`,
    ),
  ];
  const volumes = r.data.testVolumes;
  for (const e of EVALUATED) {
    lines.push('', `## ${MODEL_TITLES[e]}`, '', '| class | Dice | HD95 | ASD | n | absent |', '| --- | --- | --- | --- | --- | --- |');
    for (const c of r.results[e].perClass) {
      const n = c.skipped ? String(volumes - c.skipped.dice) : '—';
      lines.push(`| ${c.name} | ${pct(c.dice)} | ${fmt(c.hd95)} | ${fmt(c.asd)} | ${n} | ${c.emptyReference ?? '—'} |`);
    }
    lines.push(
      `| **mean** | **${pct(r.results[e].mean.dice)}** | **${fmt(r.results[e].mean.hd95)}** | **${fmt(r.results[e].mean.asd)}** | | |`,
    );
    const distances = r.results[e].perClass.filter((c) => c.skipped && c.skipped.hd95 > c.skipped.dice);
    if (distances.length > 0) {
      lines.push(
        '',
        `HD95 and ASD also leave out volumes where a class is predicted but absent (no distance to nothing): ${distances.map((c) => `${c.name} ${c.skipped!.hd95 - c.skipped!.dice}`).join(', ')}.`,
      );
    }
  }
  lines.push(
    '',
    `n: test volumes in the class's Dice mean (of ${volumes}); absent: test volumes whose ground truth has no voxel of the class.`,
    '',
    'Figures: `report.html` (charts), `loss.png` (training losses), `val.png` (validation Dice), `overlays/` (test slices).',
    '',
  );
  return lines.join('\n');
}

/** Line colours of the curves' series (matplotlib's tab10), not classes: class colours are @mcsc/infer's `classColour`. */
const SERIES_COLOURS: readonly Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
];
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
  const series = (key: string): Series => ({
    name: key,
    points: train.filter((r) => key in r.losses).map((r) => [r.iteration, r.losses[key]!]),
  });
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
  shown.forEach(([title, s], i) =>
    drawPanel(
      c,
      4,
      4 + i * h,
      w - 8,
      h - 8,
      title,
      s.filter((x) => x.points.length > 0),
    ),
  );
  return c.toPng();
}

/** Validation mean Dice (%) of each network over the iterations. */
export function validationCurves(log: readonly LogRecord[]): Uint8Array {
  const val = log.filter((r): r is Extract<LogRecord, { type: 'val' }> => r.type === 'val');
  const c = new Canvas(640, 200);
  drawPanel(
    c,
    4,
    4,
    632,
    192,
    'validation dice (%)',
    EVALUATED.map((e) => ({
      name: e,
      points: val.filter((r) => e in r.dice).map((r) => [r.iteration, 100 * r.dice[e]!] as [number, number]),
    })).filter((s) => s.points.length > 0),
  );
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
    ['image', null],
    ['ground truth', vol.label],
    ['cnn', test.predictions[volume]!.cnn],
    ['transformer', test.predictions[volume]!.trans],
    ['ensemble', test.predictions[volume]!.ensemble],
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

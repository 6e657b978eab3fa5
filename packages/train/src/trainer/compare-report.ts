/**
 * The compare report of `mcsc compare`: from the test reports of every (method, seed) run, `compare.json`
 * (every number, down to each test volume of each run), `compare.md` and `compare.html` (with charts).
 *
 * What the numbers mean:
 * - Table of means: per method and model, the mean over seeds of each run's mean test Dice; "± sd" (the
 *   sample standard deviation over seeds) only when there are two seeds or more — one seed has no spread
 *   to show.
 * - Paired differences: method − baseline, per unit (test volume, seed) — the same volumes through the
 *   same seeds — on each volume's mean Dice over the classes. Their mean, a percentile-bootstrap
 *   confidence interval resampling the units (@mcsc/core `bootstrapMeanCi`, seeded), and the two-sided
 *   Wilcoxon signed-rank test (`wilcoxonSignedRank`: exact for ≤ 50 untied non-zero differences, normal
 *   approximation otherwise). A difference is called higher / lower only when its interval excludes 0.
 *   Units that share a volume (or a seed) are not independent, so with few seeds the interval is, if
 *   anything, narrow; the p-values are not corrected for multiple comparisons.
 * - Every run must use the same empty-class rule (stated in the report), or the numbers do not compare.
 */
import {
  bootstrapMeanCi,
  meanSd,
  wilcoxonSignedRank,
  type BootstrapInterval,
  type BootstrapOptions,
  type EmptyClassRule,
  type SampleSummary,
  type WilcoxonResult,
} from '@mcsc/core';
import { writeFileAtomic, McscError } from '@mcsc/graph/node';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import { chartFigures, renderCharts, stripChart, type ChartSpec, type ChartsResult, type StripRow } from './charts.js';
import { EVALUATED, type Evaluated } from './evaluate.js';
import { EMPTY_CLASS_TEXT, MODEL_TITLES, type Report } from './report.js';
import { PAGE_STYLE } from './report-html.js';

/** One finished run of the comparison. */
export interface CompareRun {
  readonly method: string;
  readonly seed: number;
  /** Its report (report.json; `null` values are read as NaN). */
  readonly report: Report;
}

export interface CompareReportOptions {
  /** Methods in table order (default: the order they first appear in the runs). */
  methods?: readonly string[];
  /** Methods the others are compared with, m − b for each later m (default: every method but the last, so each pair once: later − earlier). */
  baselines?: readonly string[];
  /** Seed, resamples (default 10 000) and confidence (default 0.95) of the bootstrap intervals. */
  bootstrap?: BootstrapOptions;
  /** A sentence on the setting (data, labels, iterations) shown under the title. */
  description?: string;
}

/** One unit: a test volume of one seed's run, and its mean Dice over the classes (fraction; NaN when undefined). */
export interface UnitDice {
  readonly volume: string;
  readonly seed: number;
  readonly dice: number;
}

export interface ModelOfMethod {
  /** Each seed's run: its mean test Dice (fraction), in seed order. */
  readonly runs: readonly number[];
  /** Mean and (n ≥ 2) sd of `runs`. */
  readonly summary: SampleSummary;
  /** Every (volume, seed) unit. */
  readonly units: readonly UnitDice[];
}

export interface MethodResult {
  readonly method: string;
  readonly seeds: readonly number[];
  readonly trainSeconds: readonly number[];
  readonly models: Readonly<Record<Evaluated, ModelOfMethod>>;
}

/** `'higher'` / `'lower'`: the interval excludes 0; `'within noise'`: it contains 0; `'too few units'`: n < 2. */
export type Reading = 'higher' | 'lower' | 'within noise' | 'too few units';

export interface PairedDifference {
  readonly method: string;
  readonly baseline: string;
  readonly model: Evaluated;
  /** Units in both runs with a defined value on both sides. */
  readonly n: number;
  /** (volume, seed) units of either side left out: no partner, or an undefined value on a side. */
  readonly unpaired: number;
  readonly seeds: readonly number[];
  /** Units where the method's Dice is higher / lower / equal. */
  readonly better: number;
  readonly worse: number;
  readonly ties: number;
  /** Mean paired difference (Dice fraction) and its bootstrap interval. */
  readonly ci: BootstrapInterval;
  readonly test: WilcoxonResult;
  readonly reading: Reading;
  /** The paired differences, unit by unit. */
  readonly units: readonly UnitDice[];
}

export interface CompareAnalysis {
  readonly format: 'mcsc-compare';
  /** Dice as a fraction in [0, 1] throughout (the pages show %). */
  readonly metric: 'dice';
  readonly emptyClass: EmptyClassRule;
  readonly data: Report['data'];
  readonly iterations: readonly number[];
  readonly seeds: readonly number[];
  readonly baselines: readonly string[];
  readonly bootstrap: { readonly seed: number; readonly resamples: number; readonly confidence: number };
  readonly description?: string;
  readonly methods: readonly MethodResult[];
  readonly differences: readonly PairedDifference[];
}

/** A number from report.json (`null` stands for NaN there). */
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

/** All the statistics of a comparison; pure. */
export function compareAnalysis(runs: readonly CompareRun[], options: CompareReportOptions = {}): CompareAnalysis {
  if (runs.length === 0) throw new McscError('compare', 'no runs to compare');
  const methods = options.methods ? [...options.methods] : [...new Set(runs.map((r) => r.method))];
  const seen = new Set<string>();
  for (const r of runs) {
    if (!methods.includes(r.method))
      throw new McscError('compare', `run of method ${JSON.stringify(r.method)} is not among the methods ${methods.join(', ')}`);
    const key = `${r.method} ${r.seed}`;
    if (seen.has(key)) throw new McscError('compare', `two runs of ${r.method} with seed ${r.seed}`);
    seen.add(key);
  }
  const rules = [...new Set(runs.map((r) => r.report.emptyClass ?? 'published'))];
  if (rules.length > 1) {
    throw new McscError(
      'compare',
      `the runs use different empty-class rules (${rules.join(', ')}); their numbers do not compare — evaluate them again with one rule`,
    );
  }
  const baselines = options.baselines ? [...options.baselines] : methods.slice(0, -1);
  for (const b of baselines)
    if (!methods.includes(b))
      throw new McscError('compare', `baseline ${JSON.stringify(b)} is not among the methods ${methods.join(', ')}`);
  const bootstrap = {
    seed: options.bootstrap?.seed ?? 0,
    resamples: options.bootstrap?.resamples ?? 10000,
    confidence: options.bootstrap?.confidence ?? 0.95,
  };

  const results: MethodResult[] = methods
    .filter((m) => runs.some((r) => r.method === m))
    .map((method) => {
      const mine = runs.filter((r) => r.method === method).sort((a, b) => a.seed - b.seed);
      const model = (e: Evaluated): ModelOfMethod => {
        const perRun = mine.map((r) => num(r.report.results[e].mean.dice));
        const units = mine.flatMap((r) =>
          r.report.results[e].perVolume.map((v) => ({ volume: v.id, seed: r.seed, dice: num(v.mean.dice) })),
        );
        return { runs: perRun, summary: meanSd(perRun), units };
      };
      const models = { cnn: model('cnn'), trans: model('trans'), ensemble: model('ensemble') };
      return { method, seeds: mine.map((r) => r.seed), trainSeconds: mine.map((r) => num(r.report.trainSeconds)), models };
    });

  const differences: PairedDifference[] = [];
  for (const baseline of baselines) {
    const base = results.find((m) => m.method === baseline);
    if (!base) continue;
    for (const other of results) {
      if (other.method === baseline) continue;
      // Two baselines are compared once, the later one minus the earlier one.
      if (baselines.includes(other.method) && methods.indexOf(other.method) < methods.indexOf(baseline)) continue;
      for (const model of EVALUATED) differences.push(pairedDifference(other, base, model, bootstrap));
    }
  }
  const first = runs[0]!.report;
  return {
    format: 'mcsc-compare',
    metric: 'dice',
    emptyClass: rules[0]!,
    data: first.data,
    iterations: [...new Set(runs.map((r) => r.report.iterations))],
    seeds: [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b),
    baselines,
    bootstrap,
    ...(options.description !== undefined ? { description: options.description } : {}),
    methods: results,
    differences,
  };
}

function pairedDifference(m: MethodResult, b: MethodResult, model: Evaluated, bootstrap: Required<BootstrapOptions>): PairedDifference {
  const key = (u: UnitDice) => `${u.seed}\u0000${u.volume}`;
  const baseUnits = new Map(b.models[model].units.map((u) => [key(u), u]));
  const units: UnitDice[] = [];
  let unpaired = 0;
  for (const u of m.models[model].units) {
    const partner = baseUnits.get(key(u));
    baseUnits.delete(key(u));
    if (partner === undefined || Number.isNaN(u.dice) || Number.isNaN(partner.dice)) {
      unpaired++;
      continue;
    }
    units.push({ volume: u.volume, seed: u.seed, dice: u.dice - partner.dice });
  }
  unpaired += baseUnits.size;
  const d = units.map((u) => u.dice);
  const ci = bootstrapMeanCi(d, bootstrap);
  const reading: Reading = d.length < 2 ? 'too few units' : ci.lo > 0 ? 'higher' : ci.hi < 0 ? 'lower' : 'within noise';
  return {
    method: m.method,
    baseline: b.method,
    model,
    n: d.length,
    unpaired,
    seeds: [...new Set(units.map((u) => u.seed))],
    better: d.filter((x) => x > 0).length,
    worse: d.filter((x) => x < 0).length,
    ties: d.filter((x) => x === 0).length,
    ci,
    test: wilcoxonSignedRank(d),
    reading,
    units,
  };
}

const pct = (v: number, digits = 2) => (Number.isNaN(v) ? '—' : (100 * v).toFixed(digits));
const signed = (v: number, digits = 2) => (Number.isNaN(v) ? '—' : `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(digits)}`);

/** A p-value: 2 significant digits, `< 0.001` below. */
export function formatP(p: number): string {
  if (Number.isNaN(p)) return '—';
  if (p < 0.001) return '< 0.001';
  return p >= 0.1 ? p.toFixed(2) : p.toPrecision(2);
}

/** `mean ± sd` in %, or only the mean when the summary has no sd (one value). */
export function formatMeanSd(s: SampleSummary, digits = 2): string {
  return s.sd === null ? pct(s.mean, digits) : `${pct(s.mean, digits)} ± ${pct(s.sd, digits)}`;
}

const READING_TEXT: Readonly<Record<Reading, string>> = {
  higher: '**higher**',
  lower: '**lower**',
  'within noise': 'within noise',
  'too few units': 'too few units',
};

/** Short model names for the wide differences table. */
const MODEL_SHORT: Readonly<Record<Evaluated, string>> = { cnn: 'CNN', trans: 'Transformer', ensemble: 'Ensemble' };

/** compare.md. */
export function compareMarkdown(a: CompareAnalysis): string {
  const seeds = a.seeds.length;
  const conf = Math.round(100 * a.bootstrap.confidence);
  const oneSeed = a.methods.every((m) => m.seeds.length < 2);
  const lines = [
    `# Method comparison: ${a.data.name}`,
    '',
    ...(a.description ? [a.description, ''] : []),
    `${a.methods.length} method${a.methods.length === 1 ? '' : 's'}, seed${seeds === 1 ? '' : 's'} ${a.seeds.join(', ')}; ${a.data.testVolumes} test volumes, ${a.data.labeledSlices} labeled slices, ${a.iterations.join(' / ')} iterations. Dice in %.`,
    `Empty-class rule: ${EMPTY_CLASS_TEXT[a.emptyClass]}.`,
    '',
    '## Test Dice',
    '',
    oneSeed
      ? "Each run's mean test Dice (one seed per method: no spread over seeds to show)."
      : "Mean over seeds of each run's mean test Dice; ± is the sample standard deviation over seeds, shown only where a method has two seeds or more.",
    '',
    `| method | ${EVALUATED.map((e) => MODEL_TITLES[e]).join(' | ')} | seeds | train min / run |`,
    `| --- | ${EVALUATED.map(() => '---').join(' | ')} | --- | --- |`,
    ...a.methods.map((m) => {
      const minutes = meanSd(m.trainSeconds).mean / 60;
      return `| ${m.method} | ${EVALUATED.map((e) => formatMeanSd(m.models[e].summary)).join(' | ')} | ${m.seeds.join(', ')} | ${Number.isNaN(minutes) ? '—' : minutes.toFixed(1)} |`;
    }),
  ];
  if (a.differences.length > 0) {
    lines.push(
      '',
      '## Paired differences',
      '',
      `Method − baseline, in Dice points, per unit = (test volume, seed): the same volumes through the same seeds, on each volume's mean Dice over the classes. ` +
        `Mean difference with a ${conf} % percentile-bootstrap confidence interval (${a.bootstrap.resamples} resamples of the units, seed ${a.bootstrap.seed}) ` +
        'and the two-sided Wilcoxon signed-rank p (exact for up to 50 untied non-zero differences, else the normal approximation; zero differences dropped). ' +
        'Reading: **higher** (or **lower**) when the whole interval lies above (below) 0, "within noise" when it contains 0. Units sharing a volume or a seed are not independent, so with few seeds the interval is, if anything, narrow; p-values are not corrected for multiple comparisons.',
      '',
      `| method − baseline | model | units | mean difference | ${conf} % CI | p (Wilcoxon) | units higher / lower | reading |`,
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...a.differences.map((d) => {
        const ci = Number.isNaN(d.ci.lo) ? '—' : `[${signed(d.ci.lo)}, ${signed(d.ci.hi)}]`;
        const units = `${d.n}${d.unpaired > 0 ? ` (${d.unpaired} unpaired)` : ''}`;
        return `| ${d.method} − ${d.baseline} | ${MODEL_SHORT[d.model]} | ${units} | ${signed(d.ci.mean)} | ${ci} | ${formatP(d.test.p)} ${d.test.method === 'exact' ? '(exact)' : '(normal)'} | ${d.better} / ${d.worse} | ${READING_TEXT[d.reading]} |`;
      }),
    );
  }
  lines.push('', 'Figures: `compare.html`. Every number, down to each test volume of each run: `compare.json`.', '');
  return lines.join('\n');
}

/** The charts of compare.html: per-volume Dice per method, and the paired differences with their intervals. */
export function compareCharts(a: CompareAnalysis): ChartSpec[] {
  const models = EVALUATED.map((e) => MODEL_TITLES[e]);
  const methodOrder = a.methods.map((m) => m.method);
  const rows: StripRow[] = a.methods.flatMap((m) =>
    EVALUATED.flatMap((e) =>
      m.models[e].units
        .filter((u) => !Number.isNaN(u.dice))
        .map((u) => ({ row: m.method, series: MODEL_TITLES[e], value: 100 * u.dice, unit: `${u.volume} s${u.seed}` })),
    ),
  );
  const means = a.methods.flatMap((m) =>
    EVALUATED.map((e) => ({ row: m.method, series: MODEL_TITLES[e], value: 100 * m.models[e].summary.mean })),
  );
  const charts: (ChartSpec | null)[] = [
    stripChart({
      id: 'dice',
      title: 'Test Dice per volume',
      caption: `One dot per test volume and seed (a volume's mean Dice over the classes); the dark bar is the table's mean. Empty-class rule ${a.emptyClass}.`,
      rows,
      rowOrder: methodOrder,
      seriesOrder: models,
      rowTitle: null,
      seriesTitle: 'model',
      valueTitle: 'Dice (%)',
      means,
    }),
    differencesChart(a),
  ];
  return charts.filter((c): c is ChartSpec => c !== null);
}

/** Paired differences: each unit as a faint dot, the bootstrap interval as a bar, the mean as a tick; 0 marked. */
function differencesChart(a: CompareAnalysis): ChartSpec | null {
  if (a.differences.length === 0) return null;
  const label = (d: PairedDifference) => `${d.method} − ${d.baseline}`;
  const order = [...new Set(a.differences.map(label))];
  const models = EVALUATED.map((e) => MODEL_TITLES[e]);
  const units = a.differences.flatMap((d) => d.units.map((u) => ({ row: label(d), series: MODEL_TITLES[d.model], value: 100 * u.dice })));
  const intervals = a.differences
    .filter((d) => !Number.isNaN(d.ci.lo))
    .map((d) => ({ row: label(d), series: MODEL_TITLES[d.model], lo: 100 * d.ci.lo, hi: 100 * d.ci.hi }));
  const means = a.differences
    .filter((d) => !Number.isNaN(d.ci.mean))
    .map((d) => ({ row: label(d), series: MODEL_TITLES[d.model], value: 100 * d.ci.mean }));
  const y = { field: 'row', type: 'nominal', title: null, sort: order, axis: { labelPadding: 6 } } as const;
  const yOffset = { field: 'series', type: 'nominal', sort: models } as const;
  const color = { field: 'series', type: 'nominal', title: 'model', sort: models, legend: { symbolOpacity: 1 } } as const;
  const conf = Math.round(100 * a.bootstrap.confidence);
  return {
    id: 'differences',
    caption: `Paired differences in Dice points (method − baseline) per test volume and seed (dots), their mean (dark tick) and ${conf} % bootstrap interval (bar). An interval clear of the dashed 0 line is a difference larger than its noise.`,
    spec: {
      title: { text: 'Paired differences with confidence intervals' },
      width: 680,
      height: { step: 18, for: 'offset' },
      layer: [
        {
          data: { values: [{ zero: 0 }] },
          mark: { type: 'rule', strokeDash: [4, 4], color: '#666' },
          encoding: { x: { field: 'zero', type: 'quantitative' } },
        },
        {
          data: { values: units },
          mark: { type: 'circle', size: 30, opacity: 0.35 },
          encoding: { x: { field: 'value', type: 'quantitative', title: 'Dice difference (points)' }, y, yOffset, color },
        },
        {
          data: { values: intervals },
          mark: { type: 'rule', strokeWidth: 4, opacity: 0.9 },
          encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' }, y, yOffset, color },
        },
        {
          data: { values: means },
          mark: { type: 'tick', thickness: 2.5, size: 16, color: '#222' },
          encoding: { x: { field: 'value', type: 'quantitative' }, y, yOffset },
        },
      ],
    } as unknown as ChartSpec['spec'],
  };
}

/** compare.html: the Markdown rendered, then the charts (or why there are none). */
export function compareHtml(a: CompareAnalysis, markdown: string, charts: ChartsResult): string {
  const md = new MarkdownIt({ html: false, breaks: true });
  const esc = (s: string) => md.utils.escapeHtml(s);
  const figures = charts.ok ? chartFigures(charts.charts, esc) : [`<p class="note">Charts not drawn: ${esc(charts.reason)}.</p>`];
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(`Method comparison: ${a.data.name}`)}</title>`,
    `<style>${PAGE_STYLE}</style></head><body>`,
    md.render(markdown),
    '<h2>Figures</h2>',
    ...figures,
    '</body></html>',
    '',
  ].join('\n');
}

/** Computes the comparison and writes compare.json, compare.md and compare.html into `out`. */
export async function writeCompareReport(
  out: string,
  runs: readonly CompareRun[],
  options: CompareReportOptions = {},
): Promise<{ analysis: CompareAnalysis; markdown: string }> {
  const analysis = compareAnalysis(runs, options);
  const markdown = compareMarkdown(analysis);
  writeFileAtomic(join(out, 'compare.json'), `${JSON.stringify(analysis, null, 2)}\n`);
  writeFileAtomic(join(out, 'compare.md'), markdown);
  writeFileAtomic(join(out, 'compare.html'), compareHtml(analysis, markdown, await renderCharts(compareCharts(analysis))));
  return { analysis, markdown };
}

/** The reports of `<out>/<method>-s<seed>/report.json` (the layout of `mcsc compare`); every one must exist. */
export function readCompareRuns(out: string, methods: readonly string[], seeds: readonly number[]): CompareRun[] {
  const missing: string[] = [];
  const runs: CompareRun[] = [];
  for (const method of methods) {
    for (const seed of seeds) {
      const path = join(out, `${method}-s${seed}`, 'report.json');
      if (!existsSync(path)) {
        missing.push(path);
        continue;
      }
      runs.push({ method, seed, report: JSON.parse(readFileSync(path, 'utf8')) as Report });
    }
  }
  if (missing.length > 0) throw new McscError('compare', `no report for ${missing.join(', ')}`);
  return runs;
}

jest.mock('vega', () => require('./vega-modules').vegaModule('vega'), { virtual: true });
jest.mock('vega-lite', () => require('./vega-modules').vegaModule('vega-lite'), { virtual: true });

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compareAnalysis,
  compareMarkdown,
  formatMeanSd,
  formatP,
  readCompareRuns,
  writeCompareReport,
  type CompareRun,
} from '../../src/trainer/compare-report';
import type { Report } from '../../src/trainer/report';
import { RunDir } from '../../src/trainer/run-dir';
import { preloadVega } from './vega-modules';

const dir = mkdtempSync(join(tmpdir(), 'mcsc-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(preloadVega);

/** A report whose every model has per-volume mean Dice `dice[i]` on volumes v0, v1, … (one class). */
function report(method: string, seed: number, dice: readonly (number | null)[], emptyClass: 'published' | 'ignore' = 'published'): Report {
  const m = (d: number) => ({ dice: d, jaccard: d, hd95: 1, asd: 1 });
  const defined = dice.filter((d): d is number => d !== null);
  const mean = defined.reduce((a, b) => a + b, 0) / defined.length;
  const results = {
    perClass: [{ name: 'c', ...m(mean) }],
    mean: m(mean),
    perVolume: dice.map((d, i) => ({ id: `v${i}`, mean: m(d as number), perClass: [m(d as number)] })),
  };
  return {
    format: 'mcsc-report',
    run: `${method}-s${seed}`,
    method,
    seed,
    data: { name: 'squares', trainSlices: 10, labeledSlices: 4, labeledCases: ['p1'], testVolumes: dice.length, valVolumes: 1 },
    iterations: 100,
    trainSeconds: 120,
    iterationsPerSecond: 1,
    unit: 'voxel',
    emptyClass,
    weights: {},
    results: { cnn: results, trans: results, ensemble: results },
    files: [],
  };
}

const BASE = [0.7, 0.62, 0.81, 0.55, 0.74, 0.66, 0.59, 0.77];
// +5 points on every volume, give or take a little (no two alike): a clear improvement.
const BETTER = BASE.map((d, i) => d + 0.05 + 0.001 * (i - 3.5));
// ±1 point alternately: no difference.
const SAME = BASE.map((d, i) => d + (i % 2 === 0 ? 0.01 : -0.01));

describe('compare report', () => {
  test('one seed: no ±; paired differences per volume with a CI that excludes 0 for a real gain and contains it for noise', () => {
    const runs: CompareRun[] = [
      { method: 'supervised', seed: 1, report: report('supervised', 1, BASE) },
      { method: 'mcsc', seed: 1, report: report('mcsc', 1, BETTER) },
      { method: 'cross-teaching', seed: 1, report: report('cross-teaching', 1, SAME) },
    ];
    const a = compareAnalysis(runs, { bootstrap: { seed: 3 } });
    expect(a.methods.map((m) => m.method)).toEqual(['supervised', 'mcsc', 'cross-teaching']);
    expect(a.methods[0]!.models.cnn.summary).toEqual({ n: 1, mean: expect.closeTo(0.68, 12), sd: null });
    const [better, same] = [
      a.differences.find((d) => d.method === 'mcsc' && d.model === 'cnn')!,
      a.differences.find((d) => d.method === 'cross-teaching' && d.model === 'cnn')!,
    ];
    expect(better).toMatchObject({ baseline: 'supervised', n: 8, unpaired: 0, better: 8, worse: 0, reading: 'higher' });
    expect(better.ci.mean).toBeCloseTo(0.05, 12);
    expect(better.ci.lo).toBeGreaterThan(0);
    // all 8 differences positive, no ties: exact p = 2 / 2⁸
    expect(better.test).toMatchObject({ method: 'exact', wPlus: 36, wMinus: 0, p: 2 / 256 });
    expect(same).toMatchObject({ n: 8, better: 4, worse: 4, reading: 'within noise' });
    expect(same.ci.lo).toBeLessThan(0);
    expect(same.ci.hi).toBeGreaterThan(0);
    // |d| all 0.01 (tied) → normal approximation, W+ = W− → z = 0, p = 1
    expect(same.test).toMatchObject({ method: 'normal', p: 1 });

    const md = compareMarkdown(a);
    expect(md).not.toContain('±');
    expect(md).toContain("Each run's mean test Dice (one seed per method: no spread over seeds to show).");
    expect(md).toContain('| supervised | 68.00 | 68.00 | 68.00 | 1 | 2.0 |');
    expect(md).toMatch(
      /\| mcsc − supervised \| CNN \| 8 \| \+5\.00 \| \[\+4\.\d\d, \+5\.\d\d\] \| 0\.0078 \(exact\) \| 8 \/ 0 \| \*\*higher\*\* \|/,
    );
    expect(md).toMatch(
      /\| cross-teaching − supervised \| CNN \| 8 \| \+0\.00 \| \[−0\.\d\d, \+0\.\d\d\] \| 1\.00 \(normal\) \| 4 \/ 4 \| within noise \|/,
    );
    expect(md).toContain('Empty-class rule: published (SSL4MIS');
  });

  test('several seeds: mean ± sd over seeds; units are (volume, seed) pairs; several baselines', () => {
    const runs: CompareRun[] = [1, 2, 3].flatMap((seed) => [
      {
        method: 'supervised',
        seed,
        report: report(
          'supervised',
          seed,
          BASE.map((d) => d + 0.01 * seed),
        ),
      },
      { method: 'cross-teaching', seed, report: report('cross-teaching', seed, SAME) },
      { method: 'mcsc', seed, report: report('mcsc', seed, BETTER) },
    ]);
    const a = compareAnalysis(runs, { baselines: ['supervised', 'cross-teaching'], bootstrap: { resamples: 2000 } });
    // supervised: run means 0.69, 0.70, 0.71 → 0.70 ± 0.01
    const sup = a.methods[0]!.models.ensemble.summary;
    expect(sup.n).toBe(3);
    expect(sup.mean).toBeCloseTo(0.7, 12);
    expect(sup.sd).toBeCloseTo(0.01, 12);
    expect(formatMeanSd(sup)).toBe('70.00 ± 1.00');
    // mcsc − supervised, cross-teaching − supervised, mcsc − cross-teaching (each × 3 models); not supervised − cross-teaching
    expect([...new Set(a.differences.map((d) => `${d.method}-${d.baseline}`))]).toEqual([
      'cross-teaching-supervised',
      'mcsc-supervised',
      'mcsc-cross-teaching',
    ]);
    // the default baselines (every method but the last) give the same three pairs
    const byDefault = compareAnalysis(runs, { bootstrap: { resamples: 200 } });
    expect([...new Set(byDefault.differences.map((x) => `${x.method}-${x.baseline}`))]).toEqual([
      'cross-teaching-supervised',
      'mcsc-supervised',
      'mcsc-cross-teaching',
    ]);
    const d = a.differences.find((x) => x.method === 'mcsc' && x.baseline === 'supervised' && x.model === 'trans')!;
    expect(d.n).toBe(24);
    expect(d.seeds).toEqual([1, 2, 3]);
    expect(d.test).toMatchObject({ n: 24, method: 'exact', wMinus: 0 }); // 24 distinct positive differences
    expect(d.reading).toBe('higher');
    const md = compareMarkdown(a);
    expect(md).toContain('| supervised | 70.00 ± 1.00 | 70.00 ± 1.00 | 70.00 ± 1.00 | 1, 2, 3 |');
    expect(md).toContain('± is the sample standard deviation over seeds');
  });

  test('undefined values (null in report.json) and missing volumes are left out and counted; rules must agree', () => {
    const withGap = JSON.parse(JSON.stringify(report('mcsc', 1, [...BETTER.slice(0, 7), NaN]))) as Report; // NaN → null
    expect(withGap.results.cnn.perVolume[7]!.mean.dice).toBeNull();
    const a = compareAnalysis([
      { method: 'supervised', seed: 1, report: report('supervised', 1, [...BASE, 0.5]) },
      { method: 'mcsc', seed: 1, report: withGap },
    ]);
    // 9 baseline volumes, 8 method volumes of which 1 undefined: 7 pairs, 1 + 1 left out
    expect(a.differences[0]).toMatchObject({ n: 7, unpaired: 2 });
    expect(compareMarkdown(a)).toContain('| 7 (2 unpaired) |');
    expect(() =>
      compareAnalysis([
        { method: 'a', seed: 1, report: report('a', 1, BASE) },
        { method: 'b', seed: 1, report: report('b', 1, BASE, 'ignore') },
      ]),
    ).toThrow(/different empty-class rules/);
    expect(() => compareAnalysis([])).toThrow(/no runs/);
    expect(() => compareAnalysis([{ method: 'a', seed: 1, report: report('a', 1, BASE) }], { baselines: ['x'] })).toThrow(/baseline "x"/);
  });

  test('p-value formatting', () => {
    expect(formatP(0.0625)).toBe('0.063');
    expect(formatP(0.0078125)).toBe('0.0078');
    expect(formatP(0.5)).toBe('0.50');
    expect(formatP(0.0001)).toBe('< 0.001');
  });

  test('writes compare.json, compare.md and compare.html with charts; reads the runs back from their folders', async () => {
    for (const [method, dice] of [
      ['supervised', BASE],
      ['mcsc', BETTER],
    ] as const) {
      const run = new RunDir(join(dir, `${method}-s1`));
      const r = report(method, 1, dice);
      require('node:fs').mkdirSync(run.root, { recursive: true });
      require('node:fs').writeFileSync(run.path('report.json'), JSON.stringify(r));
    }
    const runs = readCompareRuns(dir, ['supervised', 'mcsc'], [1]);
    expect(() => readCompareRuns(dir, ['supervised'], [1, 2])).toThrow(/no report for .*supervised-s2/);
    const { analysis, markdown } = await writeCompareReport(dir, runs, { description: 'Synthetic squares, 4 labeled slices.' });
    expect(readFileSync(join(dir, 'compare.md'), 'utf8')).toBe(markdown);
    expect(markdown).toContain('Synthetic squares, 4 labeled slices.');
    const json = JSON.parse(readFileSync(join(dir, 'compare.json'), 'utf8'));
    expect(json.format).toBe('mcsc-compare');
    expect(json.methods[1].models.cnn.units).toHaveLength(8);
    expect(json.differences[0].units).toHaveLength(8);
    expect(analysis.differences[0]!.reading).toBe('higher');
    const html = readFileSync(join(dir, 'compare.html'), 'utf8');
    expect(html).not.toContain('Charts not drawn');
    expect(html).not.toContain('±');
    expect(html).toContain('95 % CI');
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(2);
    for (const t of ['Test Dice per volume', 'Dice (%)', 'model', 'supervised', 'mcsc']) expect(svgs[0]).toContain(`>${t}<`);
    for (const t of ['Paired differences with confidence intervals', 'Dice difference (points)', 'mcsc − supervised'])
      expect(svgs[1]).toContain(`>${t}<`);
    for (const svg of svgs) expect(svg).toMatch(/role-legend/);
  });
});

/**
 * `mcsc compare`: the same data, labels and seeds through several methods — each a switch setting of
 * the one trainer — and a table of test Dice, mean ± sd over seeds.
 *
 * Methods: `supervised` (labeled slices only, each network on its own), `cross-teaching` (Luo et al.,
 * MIDL 2022: supervised + cross pseudo-label Dice), `mcsc` (+ the multi-scale class-balanced block
 * contrastive loss), `mcsc-unbalanced` (plain SupCon denominator), `mcsc-single-scale` (1/1 only).
 */
import { writeFileAtomic } from '@mcsc/graph/node';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SegmentationDataset } from '../data/types.js';
import { z } from 'zod';
import { resolveConfig, type ConfigPatch, type TrainConfig } from './config.js';
import { loadData } from './data.js';
import { EVALUATED, type Evaluated } from './evaluate.js';
import { MODEL_TITLES, type Report } from './report.js';
import { train } from './trainer.js';

/** The methods (`--methods`). */
export const methodSchema = z.enum(['supervised', 'cross-teaching', 'mcsc', 'mcsc-unbalanced', 'mcsc-single-scale']);
export const METHODS = methodSchema.options;
export type Method = z.output<typeof methodSchema>;

/** Each method's switches, as a config patch applied over the compared config. */
const METHOD_SWITCHES: Readonly<Record<Method, ConfigPatch>> = {
  'supervised': { loss: { crossTeaching: { enabled: false }, contrast: { enabled: false } } },
  'cross-teaching': { loss: { crossTeaching: { enabled: true }, contrast: { enabled: false } } },
  'mcsc': { loss: { crossTeaching: { enabled: true }, contrast: { enabled: true } } },
  'mcsc-unbalanced': { loss: { crossTeaching: { enabled: true }, contrast: { enabled: true, classBalanced: false } } },
  'mcsc-single-scale': { loss: { crossTeaching: { enabled: true }, contrast: { enabled: true, scales: ['full'] } } },
};

/**
 * `config` with the ingredients of `method` switched on or off, the seed, and a run name that says
 * which: resolved as every config is, from `config`'s preset with `config`, then the switches, on top.
 */
export function methodConfig(config: TrainConfig, method: Method, seed = config.seed): TrainConfig {
  if (!methodSchema.safeParse(method).success) throw new RangeError(`method must be one of ${METHODS.join(', ')}, got ${JSON.stringify(method)}`);
  const run: ConfigPatch = { seed, name: `${config.name}-${method}-s${seed}` };
  return resolveConfig(config.preset, [config, METHOD_SWITCHES[method], run], `method ${method}`);
}

export interface CompareOptions {
  config: TrainConfig;
  methods: readonly Method[];
  seeds: readonly number[];
  /** Parent folder of the runs; each run is `<out>/<method>-s<seed>`. */
  out: string;
  progress?: boolean;
  /** Once aborted, the current run stops after its step with a checkpoint and the comparison ends with an error (run it again to continue). */
  signal?: AbortSignal;
  log?: (message: string) => void;
}

export interface CompareRow {
  readonly method: Method;
  /** Mean test Dice per seed, per evaluated model. */
  readonly dice: Readonly<Record<Evaluated, readonly number[]>>;
  readonly seconds: readonly number[];
}

export interface CompareResult {
  readonly rows: readonly CompareRow[];
  readonly table: string;
}

/** Trains every method with every seed (the data set loaded once) and tabulates the test Dice. */
export async function compareMethods(o: CompareOptions): Promise<CompareResult> {
  const say = o.log ?? ((m: string) => console.error(m));
  const dataset: SegmentationDataset = await loadData(o.config);
  const rows: CompareRow[] = [];
  for (const method of o.methods) {
    const dice = Object.fromEntries(EVALUATED.map((e) => [e, [] as number[]])) as Record<Evaluated, number[]>;
    const seconds: number[] = [];
    for (const seed of o.seeds) {
      const config = methodConfig(o.config, method, seed);
      say(`compare: ${method}, seed ${seed}`);
      const report = await runOnce(config, join(o.out, `${method}-s${seed}`), dataset, o, say);
      for (const e of EVALUATED) dice[e].push(report.results[e].mean.dice);
      seconds.push(report.trainSeconds);
    }
    rows.push({ method, dice, seconds });
  }
  const table = compareTable(rows, o.config, o.seeds);
  writeFileAtomic(join(o.out, 'compare.json'), `${JSON.stringify({ seeds: o.seeds, rows }, null, 2)}\n`);
  writeFileAtomic(join(o.out, 'compare.md'), `${table}\n`);
  return { rows, table };
}

/**
 * One run of the comparison. A finished run (report.json) is reused and an interrupted one (checkpoint)
 * resumed, so an interrupted `mcsc compare` continues where it stopped when started again.
 */
async function runOnce(config: TrainConfig, out: string, dataset: SegmentationDataset, o: CompareOptions, say: (m: string) => void): Promise<Report> {
  const progress = o.progress !== undefined ? { progress: o.progress } : {};
  const signal = o.signal !== undefined ? { signal: o.signal } : {};
  if (existsSync(join(out, 'report.json'))) {
    say(`compare: ${out} is finished; reusing its report`);
    return JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  }
  const resume = existsSync(join(out, 'checkpoint.json'));
  const result = await train({ ...(resume ? { resume: out } : { config, out }), dataset, ...progress, ...signal, log: say });
  if (!result.completed || !result.report) {
    throw new Error(`compare: stopped in ${out} at iteration ${result.iteration}; run the same mcsc compare again to continue`);
  }
  return result.report;
}

/** mean ± sd (sample standard deviation; 0 for one seed), in Dice %. */
export function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, sd };
}

export function compareTable(rows: readonly CompareRow[], config: TrainConfig, seeds: readonly number[]): string {
  const cell = (v: readonly number[]) => {
    const { mean, sd } = meanSd(v.map((x) => 100 * x));
    return `${mean.toFixed(2)} ± ${sd.toFixed(2)}`;
  };
  const count = (n: number, noun: string) => `${n} labeled ${noun}${n === 1 ? '' : 's'}`;
  const labeled = 'patients' in config.data.labeled ? count(config.data.labeled.patients, 'patient') : count(config.data.labeled.slices, 'slice');
  return [
    `Test Dice (%), mean ± sd over seeds ${seeds.join(', ')}; ${config.data.source} data, ${labeled}, ${config.optim.iterations} iterations (${config.preset} preset).`,
    '',
    `| method | ${EVALUATED.map((e) => MODEL_TITLES[e]).join(' | ')} | train min / run |`,
    `| --- | ${EVALUATED.map(() => '---').join(' | ')} | --- |`,
    ...rows.map((r) => `| ${r.method} | ${EVALUATED.map((e) => cell(r.dice[e])).join(' | ')} | ${(r.seconds.reduce((a, b) => a + b, 0) / r.seconds.length / 60).toFixed(1)} |`),
  ].join('\n');
}

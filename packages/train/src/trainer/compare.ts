/**
 * `mcsc compare`: the same data, labels and seeds through several methods — each a switch setting of
 * the one trainer — then the compare report (compare-report.ts): test Dice per method (± sd only over
 * two or more seeds) and paired per-volume differences with bootstrap CIs and a Wilcoxon test.
 *
 * Methods: `supervised` (labeled slices only, each network on its own), `cross-teaching` (Luo et al.,
 * MIDL 2022: supervised + cross pseudo-label Dice), `mcsc` (+ the multi-scale class-balanced block
 * contrastive loss), `mcsc-unbalanced` (plain SupCon denominator), `mcsc-single-scale` (1/1 only).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SegmentationDataset } from '../data/types.js';
import { z } from 'zod';
import { resolveConfig, type ConfigPatch, type TrainConfig } from './config.js';
import { loadData } from './data.js';
import { writeCompareReport, type CompareAnalysis, type CompareRun } from './compare-report.js';
import type { Report } from './report.js';
import { train } from './trainer.js';
import { McscError, invalidValue } from '@mcsc/graph';

/** The methods (`--methods`). */
export const methodSchema = z.enum(['supervised', 'cross-teaching', 'mcsc', 'mcsc-unbalanced', 'mcsc-single-scale']);
export const METHODS = methodSchema.options;
export type Method = z.output<typeof methodSchema>;

/** Each method's switches, as a config patch applied over the compared config. */
const METHOD_SWITCHES: Readonly<Record<Method, ConfigPatch>> = {
  supervised: { loss: { crossTeaching: { enabled: false }, contrast: { enabled: false } } },
  'cross-teaching': { loss: { crossTeaching: { enabled: true }, contrast: { enabled: false } } },
  mcsc: { loss: { crossTeaching: { enabled: true }, contrast: { enabled: true } } },
  'mcsc-unbalanced': { loss: { crossTeaching: { enabled: true }, contrast: { enabled: true, classBalanced: false } } },
  'mcsc-single-scale': { loss: { crossTeaching: { enabled: true }, contrast: { enabled: true, scales: ['full'] } } },
};

/**
 * `config` with the ingredients of `method` switched on or off, the seed, and a run name that says
 * which: resolved as every config is, from `config`'s preset with `config`, then the switches, on top.
 */
export function methodConfig(config: TrainConfig, method: Method, seed = config.seed): TrainConfig {
  if (!methodSchema.safeParse(method).success) throw invalidValue('compare', 'method', `must be one of ${METHODS.join(', ')}`, method);
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

export interface CompareResult {
  /** Every (method, seed) run with its report. */
  readonly runs: readonly CompareRun[];
  /** Means, per-volume paired differences with bootstrap CIs and Wilcoxon p (compare-report.ts). */
  readonly analysis: CompareAnalysis;
  /** compare.md: what `mcsc compare` prints. */
  readonly table: string;
}

/**
 * Trains every method with every seed (the data set loaded once) and writes compare.json, compare.md and
 * compare.html: means, and the paired per-volume differences of every pair of methods (later − earlier).
 */
export async function compareMethods(o: CompareOptions): Promise<CompareResult> {
  const say = o.log ?? ((m: string) => console.error(m));
  const dataset: SegmentationDataset = await loadData(o.config);
  const runs: CompareRun[] = [];
  for (const method of o.methods) {
    for (const seed of o.seeds) {
      const config = methodConfig(o.config, method, seed);
      say(`compare: ${method}, seed ${seed}`);
      runs.push({ method, seed, report: await runOnce(config, join(o.out, `${method}-s${seed}`), dataset, o, say) });
    }
  }
  const { analysis, markdown } = await writeCompareReport(o.out, runs, {
    methods: o.methods,
    description: describeSetting(o.config, o.seeds),
  });
  return { runs, analysis, table: markdown };
}

/**
 * One run of the comparison. A finished run (report.json) is reused and an interrupted one (checkpoint)
 * resumed, so an interrupted `mcsc compare` continues where it stopped when started again.
 */
async function runOnce(
  config: TrainConfig,
  out: string,
  dataset: SegmentationDataset,
  o: CompareOptions,
  say: (m: string) => void,
): Promise<Report> {
  const progress = o.progress !== undefined ? { progress: o.progress } : {};
  const signal = o.signal !== undefined ? { signal: o.signal } : {};
  if (existsSync(join(out, 'report.json'))) {
    say(`compare: ${out} is finished; reusing its report`);
    return JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  }
  const resume = existsSync(join(out, 'checkpoint.json'));
  const result = await train({ ...(resume ? { resume: out } : { config, out }), dataset, ...progress, ...signal, log: say });
  if (!result.completed || !result.report) {
    throw new McscError('compare', `stopped in ${out} at iteration ${result.iteration}; run the same mcsc compare again to continue`);
  }
  return result.report;
}

/** One sentence on what was compared: data, labels, iterations, preset, seeds. */
function describeSetting(config: TrainConfig, seeds: readonly number[]): string {
  const count = (n: number, noun: string) => `${n} labeled ${noun}${n === 1 ? '' : 's'}`;
  const labeled =
    'patients' in config.data.labeled ? count(config.data.labeled.patients, 'patient') : count(config.data.labeled.slices, 'slice');
  return `Seeds ${seeds.join(', ')}; ${config.data.source} data, ${labeled}, ${config.optim.iterations} iterations (${config.preset} preset).`;
}

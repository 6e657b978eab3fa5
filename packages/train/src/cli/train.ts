/**
 * `mcsc train`: trains MCSC (or a baseline, by config) into a run directory, with a progress bar;
 * Ctrl-C leaves a resumable checkpoint; `--resume DIR` continues one.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { Device } from '@mcsc/graph';
import { readConfigFile, resolveConfig, TRAIN_DEVICES, type ConfigOverrides, type PresetName, type TrainConfig } from '../trainer/config.js';
import { detectDataSource } from '../trainer/data.js';
import { train } from '../trainer/trainer.js';

/** Options shared by `train` and `compare`. */
export interface RunCliOptions {
  preset: PresetName;
  config?: string;
  data?: string;
  labeled?: number;
  device?: Device;
  iterations?: number;
  seed?: number;
  threads?: number;
  progress: boolean;
}

export const positiveInt = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} must be a positive integer, got '${v}'`);
  return n;
};

/** Adds the options of {@link RunCliOptions} to a command. */
export function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--preset <name>', "'cpu' (2 cores, minutes) or 'paper' (the published run)", (v) => {
      if (v !== 'cpu' && v !== 'paper') throw new InvalidArgumentError(`--preset must be 'cpu' or 'paper', got '${v}'`);
      return v;
    }, 'cpu')
    .option('--config <file>', 'JSON config: fields that differ from the preset (docs/trainer-config.md)')
    .option('--data <path>', "'synthetic' (default), an SSL4MIS ACDC folder, a TransUNet Synapse folder or a NIfTI data-set .json")
    .option('--labeled <N>', 'labeled patients (ACDC: the SSL4MIS slice count for N)', positiveInt('--labeled'))
    .option('--device <name>', TRAIN_DEVICES.map((d) => `'${d}'`).join(' or '), (v) => {
      if (!(TRAIN_DEVICES as string[]).includes(v)) throw new InvalidArgumentError(`--device must be ${TRAIN_DEVICES.map((d) => `'${d}'`).join(' or ')}, got '${v}'`);
      return v;
    })
    .option('--iterations <N>', 'override optim.iterations', positiveInt('--iterations'))
    .option('--seed <N>', 'override the seed', (v) => {
      if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`--seed must be an integer, got '${v}'`);
      return Number(v);
    })
    .option('--threads <N>', 'onnxruntime intra-op threads', positiveInt('--threads'))
    .option('--no-progress', 'no progress bar (log lines instead)');
}

/** The config of the preset, the config file and the flags, in that order of precedence (last wins). */
export function configFromCli(o: RunCliOptions): TrainConfig {
  const overrides: ConfigOverrides[] = [];
  if (o.config) overrides.push(readConfigFile(o.config));
  const flags: ConfigOverrides = {};
  const data: ConfigOverrides = {};
  if (o.data !== undefined) Object.assign(data, detectDataSource(o.data));
  if (o.labeled !== undefined) data.labeled = { patients: o.labeled };
  if (Object.keys(data).length) flags.data = data;
  if (o.device !== undefined || o.threads !== undefined) flags.runtime = { ...(o.device ? { device: o.device } : {}), ...(o.threads ? { threads: o.threads } : {}) };
  if (o.iterations !== undefined) flags.optim = { iterations: o.iterations };
  if (o.seed !== undefined) flags.seed = o.seed;
  overrides.push(flags);
  return resolveConfig(o.preset, overrides, o.config ?? `preset ${o.preset}`);
}

export function register(program: Command): void {
  addRunOptions(program.command('train').description('train MCSC (UNet + Swin-UNet) into a run directory; Ctrl-C leaves a resumable checkpoint'))
    .option('--out <dir>', 'run directory (default runs/<config name>, or runs/<config name>-N when that holds a run)')
    .option('--resume <dir>', 'continue the run in <dir> from its latest checkpoint (its own config is used)')
    .action(async (o: RunCliOptions & { out?: string; resume?: string }) => {
      const config = o.resume ? undefined : configFromCli(o);
      const result = await train({
        ...(config ? { config } : {}), ...(o.out ? { out: o.out } : {}), ...(o.resume ? { resume: o.resume } : {}),
        ...(o.progress ? {} : { progress: false }),
      });
      if (!result.completed) {
        process.exitCode = 130;
        return;
      }
      const r = result.report!;
      const pct = (v: number) => (100 * v).toFixed(2);
      console.log(`test Dice: CNN ${pct(r.results.cnn.mean.dice)}, Transformer ${pct(r.results.trans.mean.dice)}, ensemble ${pct(r.results.ensemble.mean.dice)} (${r.data.testVolumes} volumes)`);
      console.log(`report: ${result.dir.path('report.html')} (and report.md, report.json, loss.png, val.png, overlays/); models: ${result.dir.path('cnn.onnx')}, ${result.dir.path('transformer.onnx')}`);
    });
}

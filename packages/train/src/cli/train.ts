/**
 * `mcsc train`: trains MCSC (or a baseline, by config) into a run directory, with a progress bar;
 * Ctrl-C or SIGTERM leaves a resumable checkpoint (exit 130 / 143); `--resume DIR` continues one.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import {
  deviceSchema,
  presetSchema,
  readConfigFile,
  resolveConfig,
  type ConfigOverrides,
  type ConfigPatch,
  type PresetName,
  type TrainConfig,
} from '../trainer/config.js';
import { detectDataSource, type DataSource } from '../trainer/data.js';
import { RunDir } from '../trainer/run-dir.js';
import { train } from '../trainer/trainer.js';
import { requireCuda } from './cuda.js';
import { interruptOnSignals, SIGNAL_EXIT_CODES } from './interrupt.js';
import { choiceFlag, flagValue, intFlag, positiveIntFlag, quoteChoices } from './options.js';

/** Options shared by `train` and `compare`, as their flags' parsers return them. */
export interface RunCliOptions {
  /** Absent: the config file's preset, else 'cpu'. */
  preset?: PresetName;
  config?: string;
  data?: DataSource;
  labeled?: number;
  device?: TrainConfig['runtime']['device'];
  iterations?: number;
  seed?: number;
  threads?: number;
  progress: boolean;
}

/**
 * `--data` (train, compare, evaluate): 'synthetic' or a path, resolved to `data.source` and `data.path`
 * by what the path holds; a path that is none of them fails with `detectDataSource`'s message.
 */
export const dataFlag = flagValue('--data', z.string().min(1).transform(detectDataSource), "'synthetic' or a path");

/** Adds the options of {@link RunCliOptions} to a command. */
export function addRunOptions(cmd: Command): Command {
  return cmd
    .option(
      '--preset <name>',
      `${quoteChoices(presetSchema.options)}: 'cpu' trains on 2 cores in minutes, 'paper' is the published run (default: the config file's preset, else 'cpu')`,
      choiceFlag('--preset', presetSchema),
    )
    .option('--config <file>', 'JSON config: fields that differ from the preset (docs/trainer-config.md)')
    .option(
      '--data <path>',
      "'synthetic' (default), an SSL4MIS ACDC folder, a TransUNet Synapse folder or a NIfTI data-set .json",
      dataFlag,
    )
    .option('--labeled <N>', 'labeled patients (ACDC: the SSL4MIS slice count for N)', positiveIntFlag('--labeled'))
    .option('--device <name>', quoteChoices(deviceSchema.options), choiceFlag('--device', deviceSchema))
    .option('--iterations <N>', 'override optim.iterations', positiveIntFlag('--iterations'))
    .option('--seed <N>', 'override the seed', intFlag('--seed'))
    .option('--threads <N>', 'onnxruntime intra-op threads', positiveIntFlag('--threads'))
    .option('--no-progress', 'no progress bar (log lines instead)');
}

/** The config of the preset, the config file and the flags, in that order of precedence (last wins). */
export function configFromCli(o: RunCliOptions): TrainConfig {
  const overrides: ConfigOverrides[] = [];
  if (o.config) overrides.push(readConfigFile(o.config));
  const flags: ConfigPatch = {};
  if (o.data !== undefined || o.labeled !== undefined)
    flags.data = { ...o.data, ...(o.labeled !== undefined ? { labeled: { patients: o.labeled } } : {}) };
  if (o.device !== undefined || o.threads !== undefined)
    flags.runtime = { ...(o.device ? { device: o.device } : {}), ...(o.threads ? { threads: o.threads } : {}) };
  if (o.iterations !== undefined) flags.optim = { iterations: o.iterations };
  if (o.seed !== undefined) flags.seed = o.seed;
  overrides.push(flags);
  return resolveConfig(o.preset, overrides, o.config ?? (o.preset ? `preset ${o.preset}` : 'command line'));
}

export function register(program: Command): void {
  addRunOptions(
    program
      .command('train')
      .description('train MCSC (UNet + Swin-UNet) into a run directory; Ctrl-C or SIGTERM leaves a resumable checkpoint'),
  )
    .option('--out <dir>', 'run directory (default runs/<config name>, or runs/<config name>-N when that holds a run)')
    .option('--resume <dir>', 'continue the run in <dir> from its latest checkpoint (its own config is used)')
    .action(async (o: RunCliOptions & { out?: string; resume?: string }) => {
      const config = o.resume ? undefined : configFromCli(o);
      // CUDA that cannot start is one line before anything is written (not onnxruntime's raw log line).
      if ((config ?? RunDir.open(o.resume!).readConfig()).runtime.device === 'cuda') await requireCuda();
      const interrupt = interruptOnSignals();
      let result: Awaited<ReturnType<typeof train>>;
      try {
        result = await train({
          ...(config ? { config } : {}),
          ...(o.out ? { out: o.out } : {}),
          ...(o.resume ? { resume: o.resume } : {}),
          ...(o.progress ? {} : { progress: false }),
          signal: interrupt.signal,
        });
      } finally {
        interrupt.dispose();
      }
      if (!result.completed) {
        process.exitCode = interrupt.received ? SIGNAL_EXIT_CODES[interrupt.received] : 130;
        return;
      }
      const r = result.report!;
      const pct = (v: number) => (100 * v).toFixed(2);
      console.log(
        `test Dice: CNN ${pct(r.results.cnn.mean.dice)}, Transformer ${pct(r.results.trans.mean.dice)}, ensemble ${pct(r.results.ensemble.mean.dice)} (${r.data.testVolumes} volumes)`,
      );
      console.log(
        `report: ${result.dir.path('report.html')} (and report.md, report.json, loss.png, val.png, overlays/); models: ${result.dir.path('cnn.onnx')}, ${result.dir.path('transformer.onnx')}`,
      );
    });
}

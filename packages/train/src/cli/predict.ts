/**
 * `mcsc predict`: segment a NIfTI volume with one exported model or an ensemble (mean of their
 * probabilities), as the reference evaluates (docs/method/evaluation.md). The label volume keeps the input's geometry;
 * every output is written atomically, and only after the whole volume is done.
 */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import { parseIntensity, predictFile, type IntensityMode, type PredictFileOptions } from '@mcsc/infer';
import { choiceFlag, flagValue, positiveIntFlag } from './options.js';

/** `--axis`: the voxel axis to slice along. */
const axisSchema = z.enum(['0', '1', '2']);
const niftiPath = z.string().regex(/\.nii(\.gz)?$/);
const intensity = z.string().transform((text, ctx) => {
  try {
    return parseIntensity(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not an intensity mode' });
    return z.NEVER;
  }
});

/** The options of `mcsc predict`, as its flags' parsers return them. */
export interface PredictCliOptions {
  model: string[];
  input: string;
  out: string;
  png?: string;
  probs?: string;
  axis: 0 | 1 | 2;
  intensity: IntensityMode;
  batch: number;
  threads?: number;
  progress: boolean;
}

/** Volumes with more slices than this get a progress bar (smaller ones finish in a blink). */
const PROGRESS_MIN_SLICES = 32;

/** Runs `mcsc predict` with the options as its flags' parsers give them; prints through `log`. */
export async function runPredict(o: PredictCliOptions, log: (line: string) => void = console.log): Promise<void> {
  let bar: cliProgress.SingleBar | undefined;
  const options: PredictFileOptions = {
    models: o.model,
    input: o.input,
    out: o.out,
    axis: o.axis,
    intensity: o.intensity,
    batchSize: o.batch,
    ...(o.png !== undefined ? { png: o.png } : {}),
    ...(o.probs !== undefined ? { probabilities: o.probs } : {}),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    onStart: ({ models, slices, dims }) => {
      const m = models.map((i) => `${i.source} (${i.channels}×${i.height}×${i.width} → ${i.classes} classes)`).join(' + ');
      log(`${o.input}: [${dims.join(', ')}], ${slices} slices along axis ${o.axis}; ${models.length > 1 ? 'ensemble of ' : ''}${m}`);
      if (o.progress && slices > PROGRESS_MIN_SLICES) {
        bar = new cliProgress.SingleBar(
          { format: 'predict [{bar}] {value}/{total} slices, {eta}s left', stream: process.stderr },
          cliProgress.Presets.shades_classic,
        );
        bar.start(slices, 0);
      }
    },
    onProgress: (done) => bar?.update(done),
  };
  const started = Date.now();
  try {
    const result = await predictFile(options);
    bar?.stop();
    const counts = result.counts.map((c, k) => `${k}: ${c}`).join(', ');
    log(`wrote ${result.written[0]} in ${((Date.now() - started) / 1000).toFixed(1)} s (voxels per class ${counts})`);
    if (o.probs !== undefined) log(`wrote ${o.probs}`);
    if (o.png !== undefined) log(`wrote ${result.written.length - 1 - (o.probs !== undefined ? 1 : 0)} overlays to ${o.png}`);
  } catch (e) {
    bar?.stop();
    throw e;
  }
}

const modelFlag = flagValue('--model', z.string().min(1), 'an .onnx file');
const axisFlag = choiceFlag('--axis', axisSchema);

export function register(program: Command): void {
  program
    .command('predict')
    .description('segment a NIfTI volume with exported models (several: an ensemble); labels keep the input geometry')
    .requiredOption('--model <file>', 'an exported .onnx model (repeat for an ensemble)', (v: string, prev: string[] = []) => [
      ...prev,
      modelFlag(v),
    ])
    .requiredOption('--input <file>', 'the volume, .nii or .nii.gz: [X, Y, Z] or [X, Y, Z, C]')
    .requiredOption(
      '--out <file>',
      'the label volume to write, .nii or .nii.gz (uint8)',
      flagValue('--out', niftiPath, 'a .nii or .nii.gz file'),
    )
    .option('--png <dir>', 'also write one overlay PNG per slice into this folder')
    .option(
      '--probs <file>',
      'also write the mean class probabilities, float32 [X, Y, Z, K]',
      flagValue('--probs', niftiPath, 'a .nii or .nii.gz file'),
    )
    .option('--axis <n>', 'voxel axis to slice along: 0, 1 or 2', (v: string) => Number(axisFlag(v)) as 0 | 1 | 2, 2)
    .option(
      '--intensity <mode>',
      "scaling before the network: 'minmax' (per volume, as training), 'none' or 'lo,hi'",
      flagValue('--intensity', intensity, "'minmax', 'none' or 'lo,hi' with hi > lo"),
      'minmax',
    )
    .option('--batch <n>', 'slices per onnxruntime run', positiveIntFlag('--batch'), 16)
    .option('--threads <n>', 'onnxruntime intra-op threads (default: one per core)', positiveIntFlag('--threads'))
    .option('--no-progress', 'no progress bar')
    .action(async (o: PredictCliOptions) => runPredict(o));
}

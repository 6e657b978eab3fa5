/**
 * `mcsc predict`: segment a NIfTI volume with one exported model or an ensemble (mean of their
 * probabilities), as the reference evaluates (docs/method/evaluation.md). The label volume keeps the input's geometry;
 * every output is written atomically, and only after the whole volume is done.
 */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import { parseIntensity, predictFile, type PredictFileOptions } from '@mcsc/infer';

const optionsSchema = z.strictObject({
  model: z.array(z.string().min(1)).min(1, '--model: give at least one .onnx file'),
  input: z.string().min(1),
  out: z.string().regex(/\.nii(\.gz)?$/, '--out must end in .nii or .nii.gz'),
  png: z.string().min(1).optional(),
  probs: z.string().regex(/\.nii(\.gz)?$/, '--probs must end in .nii or .nii.gz').optional(),
  axis: z.coerce.number().pipe(z.union([z.literal(0), z.literal(1), z.literal(2)])).default(2),
  intensity: z.string().default('minmax'),
  batch: z.coerce.number().int().min(1).default(16),
  threads: z.coerce.number().int().min(1).optional(),
  progress: z.boolean().default(true),
});

export type PredictCliOptions = z.input<typeof optionsSchema>;

/** Volumes with more slices than this get a progress bar (smaller ones finish in a blink). */
const PROGRESS_MIN_SLICES = 32;

/** Runs `mcsc predict` with the options as commander gives them; prints through `log`. */
export async function runPredict(raw: PredictCliOptions, log: (line: string) => void = console.log): Promise<void> {
  const parsed = optionsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`predict: ${parsed.error.issues.map((i) => `${i.path.length ? `--${i.path.join('.')}: ` : ''}${i.message}`).join('; ')}`);
  }
  const o = parsed.data;
  let bar: cliProgress.SingleBar | undefined;
  const options: PredictFileOptions = {
    models: o.model, input: o.input, out: o.out, axis: o.axis, intensity: parseIntensity(o.intensity), batchSize: o.batch,
    ...(o.png !== undefined ? { png: o.png } : {}),
    ...(o.probs !== undefined ? { probabilities: o.probs } : {}),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    onStart: ({ models, slices, dims }) => {
      const m = models.map((i) => `${i.source} (${i.channels}×${i.height}×${i.width} → ${i.classes} classes)`).join(' + ');
      log(`${o.input}: [${dims.join(', ')}], ${slices} slices along axis ${o.axis}; ${models.length > 1 ? 'ensemble of ' : ''}${m}`);
      if (o.progress && slices > PROGRESS_MIN_SLICES) {
        bar = new cliProgress.SingleBar({ format: 'predict [{bar}] {value}/{total} slices, {eta}s left', stream: process.stderr }, cliProgress.Presets.shades_classic);
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

export function register(program: Command): void {
  program
    .command('predict')
    .description('segment a NIfTI volume with exported models (several: an ensemble); labels keep the input geometry')
    .requiredOption('--model <file>', 'an exported .onnx model (repeat for an ensemble)', (v: string, prev: string[] = []) => [...prev, v])
    .requiredOption('--input <file>', 'the volume, .nii or .nii.gz: [X, Y, Z] or [X, Y, Z, C]')
    .requiredOption('--out <file>', 'the label volume to write, .nii or .nii.gz (uint8)')
    .option('--png <dir>', 'also write one overlay PNG per slice into this folder')
    .option('--probs <file>', 'also write the mean class probabilities, float32 [X, Y, Z, K]')
    .option('--axis <n>', 'voxel axis to slice along: 0, 1 or 2', '2')
    .option('--intensity <mode>', "scaling before the network: 'minmax' (per volume, as training), 'none' or 'lo,hi'", 'minmax')
    .option('--batch <n>', 'slices per onnxruntime run', '16')
    .option('--threads <n>', 'onnxruntime intra-op threads (default: one per core)')
    .option('--no-progress', 'no progress bar')
    .action(async (o: PredictCliOptions) => runPredict(o));
}

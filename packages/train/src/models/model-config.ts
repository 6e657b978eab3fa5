/**
 * The model config file of `mcsc export` / `mcsc grad`, validated with zod at the edge.
 * Omitted fields take the paper's defaults (docs/method/networks.md; the preset networks are the files in models/).
 */
import { z } from 'zod';
import { readJsonFile } from '../data/json-file.js';
import { SWIN_TINY, swinStages } from './swin-unet.js';
import { UNET_DEFAULTS } from './unet.js';
import { McscError, messageOf } from '@mcsc/graph';

const five = z.tuple([z.number(), z.number(), z.number(), z.number(), z.number()]);

export const unetModelConfigSchema = z.strictObject({
  arch: z.literal('unet'),
  /** Image channels; default 1 (MRI/CT slices). */
  inChannels: z.number().int().positive().default(1),
  /** Classes including background; default 4 (ACDC). */
  numClasses: z.number().int().min(2).default(4),
  /** Encoder dropout per level; default [0.05, 0.1, 0.2, 0.3, 0.5]. */
  dropout: five.refine((d) => d.every((p) => p >= 0 && p < 1), 'each dropout must be in [0, 1)').default([...UNET_DEFAULTS.dropout]),
  /** Feature channels per level; default [16, 32, 64, 128, 256]. */
  channels: five
    .refine((c) => c.every((v) => Number.isInteger(v) && v > 0), 'channels must be positive integers')
    .default([...UNET_DEFAULTS.channels]),
});

export const swinUnetModelConfigSchema = z.strictObject({
  arch: z.literal('swin-unet'),
  /** Image channels; a one-channel image is repeated to three (default 1). */
  inChannels: z.number().int().positive().default(1),
  /** Classes including background; default 4. */
  numClasses: z.number().int().min(2).default(4),
  /** Square input size; default 224. */
  imgSize: z.number().int().positive().default(SWIN_TINY.imgSize),
  /** Patch size of the embedding (and of the final expand); default 4. */
  patchSize: z.number().int().positive().default(SWIN_TINY.patchSize),
  /** Channels C of the first stage; default 96 (Swin-Tiny). */
  embedDim: z.number().int().positive().default(SWIN_TINY.embedDim),
  /** Blocks per stage; the decoder mirrors them; default [2, 2, 2, 2]. */
  depths: z
    .array(z.number().int().positive())
    .min(1)
    .default([...SWIN_TINY.depths]),
  /** Attention heads per stage; default [3, 6, 12, 24]. */
  numHeads: z
    .array(z.number().int().positive())
    .min(1)
    .default([...SWIN_TINY.numHeads]),
  /** Attention window; default 7. */
  windowSize: z.number().int().positive().default(SWIN_TINY.windowSize),
  /** MLP hidden size / C; default 4. */
  mlpRatio: z.number().positive().default(SWIN_TINY.mlpRatio),
  /** Stochastic-depth rate, increasing linearly over the blocks; default 0.2. */
  dropPathRate: z.number().min(0).max(1).default(SWIN_TINY.dropPathRate),
  /**
   * Training graphs rebuild the attention branches and MLP hidden layers of the first n stages (and with
   * n ≥ 1 the final expand) in the backward pass instead of keeping them: less memory, more compute, the
   * same values. true: every stage, false: none; default 1 (false in the cpu preset).
   */
  gradientCheckpointing: z.union([z.boolean(), z.number().int().min(0)]).default(1),
});

export type UNetModelConfig = z.infer<typeof unetModelConfigSchema>;
export type SwinUNetModelConfig = z.infer<typeof swinUnetModelConfigSchema>;
export type ModelConfig = UNetModelConfig | SwinUNetModelConfig;

const modelConfigSchema = z.discriminatedUnion('arch', [unetModelConfigSchema, swinUnetModelConfigSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? "arch must be 'unet' or 'swin-unet'" : undefined),
});

/** Validate a parsed config; errors name the source, the field path and what was expected. */
export function parseModelConfig(value: unknown, source = 'model config'): ModelConfig {
  const result = modelConfigSchema.safeParse(value);
  if (result.success) {
    if (result.data.arch === 'swin-unet') {
      try {
        swinStages(result.data); // resolution/window/heads rules, with their own messages
      } catch (e) {
        throw new McscError(source, `invalid model config\n  ${messageOf(e)}`, { cause: e });
      }
    }
    return result.data;
  }
  const lines = result.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  throw new McscError(source, `invalid model config\n${lines.join('\n')}`);
}

/**
 * Reads and validates a model config file with the project's JSON reader (size and depth limits, no
 * prototype keys; errors `model config <path>: …`).
 */
export function readModelConfig(path: string): ModelConfig {
  const json = readJsonFile(path, 'model config');
  try {
    return parseModelConfig(json, path);
  } catch (e) {
    // One line (the CLI prints it as `mcsc: …`): the field errors joined with '; '.
    if (!(e instanceof McscError)) throw e;
    throw new McscError(e.where, e.problem.replace(/\n\s*/g, '; '), { cause: e, problems: e.problems });
  }
}

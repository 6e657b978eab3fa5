/**
 * The model config file of `mcsc export` / `mcsc grad`, validated with zod at the edge.
 * Omitted fields take the paper's defaults (SPEC §1).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UNET_DEFAULTS } from './unet.js';

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
  channels: five.refine((c) => c.every((v) => Number.isInteger(v) && v > 0), 'channels must be positive integers').default([...UNET_DEFAULTS.channels]),
});

export type UNetModelConfig = z.infer<typeof unetModelConfigSchema>;
export type ModelConfig = UNetModelConfig;

const modelConfigSchema = z.discriminatedUnion('arch', [unetModelConfigSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? "arch must be 'unet' (the Swin-UNet port is not in this version yet)" : undefined),
});

/** Validate a parsed config; errors name the source, the field path and what was expected. */
export function parseModelConfig(value: unknown, source = 'model config'): ModelConfig {
  const result = modelConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  throw new Error(`${source}: invalid model config\n${lines.join('\n')}`);
}

export function readModelConfig(path: string): ModelConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: cannot read the model config as JSON (${(e as Error).message})`);
  }
  return parseModelConfig(json, path);
}

/**
 * The trainer config's field reference as Markdown, the table of docs/trainer-config.md
 * (packages/train/scripts/write-config-doc.ts writes it; a test checks the file is current).
 */
import { valueAt } from '@mcsc/graph';
import { z } from 'zod';
import { resolveConfig, trainConfigSchema } from './config.js';

/**
 * The field reference as Markdown (one row per leaf field: path, type, default, description), built
 * from the schema's JSON Schema so it cannot drift from the code.
 */
export function configReference(): string {
  const schema = z.toJSONSchema(trainConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const defaults = resolveConfig('paper');
  const cpu = resolveConfig('cpu');
  const rows: string[] = [];
  const walk = (node: JsonSchema, path: string[]): void => {
    const objectNode = node.properties ? node : node.anyOf?.find((n) => n.properties);
    if (objectNode?.properties && !(node.anyOf && path.at(-1) === 'labeled')) {
      for (const [key, child] of Object.entries(objectNode.properties)) walk(child, [...path, key]);
      return;
    }
    const value = (c: unknown) => JSON.stringify(valueAt(c, path)) ?? '—';
    const paperValue = value(defaults);
    const cpuValue = value(cpu);
    const key = path.join('.');
    const type = key === 'data.labeled' ? '{patients: N} \\| {slices: N}' : typeOf(node);
    const description = node.description ?? MODEL_FIELD_DOCS[path.at(-1)!] ?? '';
    rows.push(`| \`${key}\` | ${type} | \`${paperValue}\` | ${cpuValue === paperValue ? 'same' : `\`${cpuValue}\``} | ${description} |`);
  };
  walk(schema, []);
  return ['| field | type | paper | cpu | meaning |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/** The network fields (schemas of models/model-config.ts, documented there as comments). */
const MODEL_FIELD_DOCS: Readonly<Record<string, string>> = {
  arch: "'unet' for `cnn`, 'swin-unet' for `transformer`.",
  inChannels: 'Image channels; set from the data when training.',
  numClasses: 'Classes including background; set from the data when training.',
  dropout: 'UNet encoder dropout per level.',
  channels: 'UNet feature channels per level.',
  imgSize: 'Swin-UNet input size; must equal model.patchSize.',
  patchSize: 'Swin-UNet patch embedding size (and final ×patch expand).',
  embedDim: 'Channels C of the first Swin stage (96 = Swin-Tiny).',
  depths: 'Swin blocks per stage; the decoder mirrors them.',
  numHeads: 'Attention heads per stage.',
  windowSize: 'Attention window (shifted by half in alternate blocks).',
  mlpRatio: 'MLP hidden size / C.',
  dropPathRate: 'Stochastic depth, increasing linearly over the blocks.',
  gradientCheckpointing:
    "Swin-UNet training graphs rebuild the attention branches and MLP hidden layers of the first n stages (the highest resolutions, whose activations are largest), and with n ≥ 1 the final ×patch expand, in the backward pass instead of keeping them: less memory, more compute, the same values. true: every stage; false: none. 1 by default: at paper the Swin-UNet step ~8 % faster than with every stage, the MCSC step's peak RSS within ~100 MiB. Off in the cpu preset, where memory is not the bound: its MCSC step ~15 % faster for 0–50 MiB more peak RSS (docs/engine.md#activation-memory).",
};

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  description?: string;
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  items?: JsonSchema | JsonSchema[];
  prefixItems?: JsonSchema[];
}

function typeOf(node: JsonSchema): string {
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.anyOf) return node.anyOf.map(typeOf).join(' \\| ');
  if (node.type === 'array') {
    if (node.prefixItems) return `[${node.prefixItems.map(typeOf).join(', ')}]`;
    const item = node.items && !Array.isArray(node.items) ? typeOf(node.items) : 'any';
    return item.includes(' ') ? `(${item})[]` : `${item}[]`;
  }
  if (node.properties) return 'object';
  return Array.isArray(node.type) ? node.type.join(' \\| ') : (node.type ?? 'any');
}

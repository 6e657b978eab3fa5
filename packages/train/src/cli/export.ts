/** `mcsc export`: an inference ONNX model (input `image` [N, C, H, W], output `probs`) from a model config. */
import type { Command } from 'commander';
import { TrainingSession, loadWeights, nodeRuntime, softmax, writeFileAtomic } from '@mcsc/graph/node';
import { readModelConfig } from '../models/model-config.js';
import { IGNORED_REFERENCE_KEYS, segmentationNet } from '../models/segmentation-net.js';
import { positiveIntFlag } from './options.js';

export interface ExportOptions {
  modelConfig: string;
  weights?: string;
  out: string;
  features?: boolean;
  /** Spatial size the graph is built at (the exported model fixes H, W; N stays dynamic). */
  size?: number;
}

export async function exportModel(opts: ExportOptions): Promise<{ parameters: number }> {
  const config = readModelConfig(opts.modelConfig);
  // A Swin-UNet is built for its configured image size; a UNet for --size (default 224).
  const size = config.arch === 'swin-unet' ? config.imgSize : (opts.size ?? 224);
  const session = await TrainingSession.create({
    runtime: nodeRuntime(),
    build: (g) => {
      const net = segmentationNet(g, g.input('image', [1, config.inChannels, size, size]), config);
      const outputs: Record<string, typeof net.logits> = { probs: softmax(net.logits, 1) };
      if (opts.features) net.features.forEach((f, i) => (outputs[`feature${i}`] = f));
      return { outputs };
    },
  });
  if (opts.weights) loadWeights(session, opts.weights, { strict: true, ignore: IGNORED_REFERENCE_KEYS });
  writeFileAtomic(opts.out, session.exportInference());
  return { parameters: session.parameterCount };
}

export function register(program: Command): void {
  program
    .command('export')
    .description('export an inference ONNX model (input image [N, C, H, W] → class probabilities)')
    .requiredOption('--model-config <file>', 'model config JSON, e.g. {"arch": "unet", "inChannels": 1, "numClasses": 4}')
    .option('--weights <file>', 'weights (safetensors, reference state_dict names); default: seeded PyTorch-style init')
    .requiredOption('--out <file>', 'the .onnx file to write (atomically)')
    .option('--features', 'also output the four decoder features (feature0 … feature3)')
    .option('--size <pixels>', 'UNet input height and width (a Swin-UNet uses its imgSize)', positiveIntFlag('--size'), 224)
    .action(async (o: ExportOptions) => {
      const { parameters } = await exportModel(o);
      console.log(`wrote ${o.out} (${parameters.toLocaleString('en-US')} parameters)`);
    });
}

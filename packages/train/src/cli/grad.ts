/**
 * `mcsc grad`: the loss L = 0.5·(CE + Dice) of network + classifier on one batch and the gradient of
 * every trainable parameter, under its reference name — dropout and drop-path off, BatchNorm in
 * training mode — so a PyTorch user can check this port against autograd. The batch is checked first
 * ({@link checkBatch}): a label outside the model's classes or a non-finite pixel would otherwise give
 * a loss and gradients that mean nothing.
 */
import type { Command } from 'commander';
import {
  encodeSafetensors,
  readSafetensorsFile,
  TrainingSession,
  writeFileAtomic,
  type NamedTensor,
  loadWeights,
  nodeRuntime,
  McscError,
} from '@mcsc/graph/node';
import { graphLosses } from '@mcsc/core';
import { readModelConfig } from '../models/model-config.js';
import { IGNORED_REFERENCE_KEYS, segmentationNet } from '../models/segmentation-net.js';

export interface GradOptions {
  modelConfig: string;
  weights: string;
  batch: string;
  out: string;
}

/** Reads `image` float32 [B, C, H, W] and `label` int64 or uint8 [B, H, W] from a safetensors batch. */
export function readBatch(path: string): { image: NamedTensor; label: { shape: readonly number[]; data: BigInt64Array } } {
  const { tensors } = readSafetensorsFile(path);
  const image = tensors.get('image');
  const label = tensors.get('label');
  if (image?.dtype !== 'float32' || image.shape.length !== 4) {
    throw new McscError(
      path,
      `tensor 'image' must be float32 [B, C, H, W], got ${image ? `${image.dtype} [${image.shape.join(', ')}]` : 'nothing'}`,
    );
  }
  const [b, , h, w] = image.shape as [number, number, number, number];
  if (!label || label.shape.join() !== [b, h, w].join() || label.dtype === 'float32') {
    throw new McscError(
      path,
      `tensor 'label' must be int64 or uint8 [${b}, ${h}, ${w}], got ${label ? `${label.dtype} [${label.shape.join(', ')}]` : 'nothing'}`,
    );
  }
  const data = label.data instanceof BigInt64Array ? label.data : BigInt64Array.from(label.data as Uint8Array, (v) => BigInt(v));
  return { image, label: { shape: label.shape, data } };
}

/**
 * Checks a batch against the model before anything is computed: `image` has the model's input
 * channels and only finite values, and every label is a class of the model, an integer in
 * [0, numClasses). Errors name the file, the position (slice, row, column) and the value.
 */
export function checkBatch(path: string, batch: ReturnType<typeof readBatch>, model: { numClasses: number; inChannels: number }): void {
  const { image, label } = batch;
  const [b, c, h, w] = image.shape as [number, number, number, number];
  if (c !== model.inChannels)
    throw new McscError(path, `tensor 'image' has ${c} channels [${image.shape.join(', ')}], but the model takes ${model.inChannels}`);
  const pixels = image.data as Float32Array;
  let bad = 0;
  let first = -1;
  for (let i = 0; i < pixels.length; i++) {
    if (!Number.isFinite(pixels[i]!)) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (bad > 0) {
    const x = first % w;
    const y = Math.floor(first / w) % h;
    const ch = Math.floor(first / (w * h)) % c;
    const n = Math.floor(first / (w * h * c));
    throw new McscError(
      path,
      `image[${n}, ${ch}, ${y}, ${x}] (slice ${n}, channel ${ch}, row ${y}, column ${x}) is ${pixels[first]}; images must be finite (${bad} of ${pixels.length} values are not)`,
    );
  }
  const k = BigInt(model.numClasses);
  bad = 0;
  first = -1;
  for (let i = 0; i < label.data.length; i++) {
    const v = label.data[i]!;
    if (v < 0n || v >= k) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (bad > 0) {
    const x = first % w;
    const y = Math.floor(first / w) % h;
    const n = Math.floor(first / (w * h));
    throw new McscError(
      path,
      `label[${n}, ${y}, ${x}] (slice ${n}, row ${y}, column ${x}) is ${label.data[first]}, not a class of this ${model.numClasses}-class model: labels must be integers in [0, ${model.numClasses}) (${bad} of ${label.data.length} labels are out of range; ${b} slices)`,
    );
  }
}

export async function computeGrad(opts: GradOptions): Promise<{ loss: number; parameters: number }> {
  const config = readModelConfig(opts.modelConfig);
  const { image, label } = readBatch(opts.batch);
  checkBatch(opts.batch, { image, label }, config);
  const session = await TrainingSession.create({
    runtime: nodeRuntime(),
    build: (g) => {
      const x = g.input('image', image.shape);
      const net = segmentationNet(g, x, config);
      return { loss: graphLosses.supervisedLoss(net.logits, g.input('label', label.shape, 'int64')).loss };
    },
  });
  loadWeights(session, opts.weights, { strict: true, ignore: IGNORED_REFERENCE_KEYS });
  const { loss, grads } = await session.computeGradients({ image: image.data as Float32Array, label: label.data });
  const out = new Map<string, NamedTensor>([['loss', { dtype: 'float32', shape: [], data: Float32Array.of(loss) }]]);
  const weights = session.weights();
  for (const name of session.parameterNames) {
    const g = grads.get(name);
    if (g) out.set(name, { dtype: 'float32', shape: weights.get(name)!.shape, data: g });
  }
  writeFileAtomic(opts.out, encodeSafetensors(out));
  return { loss, parameters: out.size - 1 };
}

export function register(program: Command): void {
  program
    .command('grad')
    .description('loss 0.5·(CE + Dice) and every parameter gradient on one batch (BatchNorm training mode, no dropout), for parity checks')
    .requiredOption('--model-config <file>', 'model config JSON')
    .requiredOption('--weights <file>', 'weights (safetensors, reference names)')
    .requiredOption('--batch <file>', "safetensors with 'image' float32 [B, C, H, W] and 'label' int64/uint8 [B, H, W]")
    .requiredOption('--out <file>', "safetensors to write: 'loss' and one gradient per parameter name")
    .action(async (o: GradOptions) => {
      const { loss, parameters } = await computeGrad(o);
      console.log(`loss ${loss}; wrote ${parameters} gradients to ${o.out}`);
    });
}

/**
 * The training run that the page does in the browser and the test repeats in Node: a small UNet-like
 * net (conv, BatchNorm, LeakyReLU, dropout, max-pool, transposed conv, skip concat; softmax
 * cross-entropy) on a seeded synthetic "bright disc" task, three AdamW steps. Everything that decides
 * the numbers — build function, optimizer, seeds, batches — is here, once; only the runtime differs.
 */
import { Random, TrainingSession, type GraphRuntime, type OptimizerConfig } from '@mcsc/graph';
import { discBatch, tinyNet } from '../../packages/graph/test/tiny-net';

export const RECIPE = Object.freeze({ batch: 2, size: 16, dropoutP: 0.2, steps: 3, lr: 1e-2, seed: 7, dataSeed: 11 });

const adamw: OptimizerConfig = { kind: 'adamw', groups: [{ name: 'net', params: () => true, weightDecay: 1e-4 }] };

/** A session of the recipe's net on `runtime`, not yet trained. */
export function createRecipeSession(runtime: GraphRuntime): Promise<TrainingSession> {
  const { batch, size, dropoutP, seed } = RECIPE;
  return TrainingSession.create({ runtime, build: tinyNet({ batch, size, dropoutP }), optimizer: adamw, seed });
}

/** The recipe's batches, the same in every runtime: `steps` of them, then as many more as asked. */
export function recipeBatches(count: number): ReturnType<typeof discBatch>[] {
  const random = new Random(RECIPE.dataSeed);
  return Array.from({ length: count }, () => discBatch(random, RECIPE.batch, RECIPE.size));
}

/** Trains `steps` AdamW steps and returns the losses and the training state (safetensors bytes). */
export async function trainRecipe(runtime: GraphRuntime): Promise<{ losses: number[]; state: Uint8Array }> {
  const session = await createRecipeSession(runtime);
  const losses: number[] = [];
  for (const batch of recipeBatches(RECIPE.steps)) losses.push((await session.step(batch, { lr: RECIPE.lr })).loss!);
  const state = session.exportState({ trainedIn: runtime.description });
  await session.release();
  return { losses, state };
}

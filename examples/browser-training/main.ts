/**
 * Training in the browser: the page builds the recipe's graphs, runs three AdamW steps on
 * onnxruntime-web (wasm; see docs/gpu.md for WebGPU), shows the losses and offers
 * the training state as a safetensors file that `loadState` in Node continues from.
 */
import { webRuntime } from '@mcsc/graph/web';
import { trainRecipe } from './recipe';

/** What the page exposes to the test (window.mcsc). */
export interface BrowserTrainingHook {
  readonly done: Promise<{ losses: number[]; stateBase64: string; runtime: string }>;
}

const status = document.getElementById('status')!;
const say = (line: string) => (status.textContent += `${line}\n`);

async function run(): Promise<{ losses: number[]; stateBase64: string; runtime: string }> {
  // wasm: onnxruntime-web's WebGPU MaxPool does not return the indices the max-pool gradient needs (docs/gpu.md).
  const runtime = await webRuntime({ device: 'wasm' });
  say(`runtime: ${runtime.description}`);
  const { losses, state } = await trainRecipe(runtime);
  losses.forEach((loss, i) => say(`step ${i + 1}: loss ${loss.toFixed(6)}`));
  const link = document.getElementById('download') as HTMLAnchorElement;
  link.href = URL.createObjectURL(new Blob([new Uint8Array(state)], { type: 'application/octet-stream' }));
  link.hidden = false;
  let binary = '';
  for (const b of state) binary += String.fromCharCode(b);
  return { losses, stateBase64: btoa(binary), runtime: runtime.description };
}

const done = run();
done.catch((e: unknown) => {
  status.classList.add('error');
  say(`error: ${(e as Error).message}`);
});
(window as unknown as { mcsc: BrowserTrainingHook }).mcsc = { done };

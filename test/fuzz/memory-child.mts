/**
 * Runs one reader on one file in a fresh process and prints, as JSON, whether it failed, its message
 * and the process's resident memory before and its high-water mark after, so that memory.test.ts can
 * bound the peak a bad input causes. On Linux the high-water mark (VmHWM) is reset to the current size
 * first (`/proc/self/clear_refs`), so that start-up peaks cannot hide the case's; elsewhere `maxRSS`. Usage: node --import tsx memory-child.mts <kind> <file>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decodeSafetensors } from '../../packages/graph/src/safetensors';
import { readNifti } from '../../packages/infer/src/node/nifti';
import { readH5Arrays } from '../../packages/train/src/data/h5';
import { readJsonFile } from '../../packages/train/src/data/json-file';
import { readNpz } from '../../packages/train/src/data/npy';

const READERS: Record<string, (file: string) => Promise<unknown> | unknown> = {
  nifti: (file) => readNifti(file),
  safetensors: (file) => decodeSafetensors(readFileSync(file), file),
  npz: (file) => readNpz(file, 'Synapse slice'),
  h5: (file) => readH5Arrays(file, ['image'], 'ACDC slice'),
  json: (file) => readJsonFile(file, 'model config'),
};

/** Resets the high-water mark where the kernel allows it; returns a reader of the peak since. */
function peakMeter(): () => number {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
  } catch {
    return () => process.resourceUsage().maxRSS * 1024;
  }
}

async function main(): Promise<void> {
  const [kind, file] = process.argv.slice(2) as [string, string];
  if (kind === 'h5') {
    // The wasm library's own memory is not the case's: load it first (the module h5.ts imports).
    const h5wasm = join(dirname(fileURLToPath(import.meta.url)), '../../packages/train/node_modules/h5wasm/dist/node/hdf5_hl.js');
    await ((await import(pathToFileURL(h5wasm).href)) as { default: { ready: Promise<unknown> } }).default.ready;
  }
  const peakSince = peakMeter();
  const before = Math.max(process.memoryUsage().rss, peakSince());
  let message: string | undefined;
  try {
    await READERS[kind]!(file);
  } catch (e) {
    message = (e as Error).message;
  }
  const peak = peakSince();
  process.stdout.write(`${JSON.stringify({ failed: message !== undefined, message, before, peak })}\n`);
}

void main();

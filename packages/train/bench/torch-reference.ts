/**
 * The PyTorch side of models.bench.ts: test/parity/torch_step_time.py run as a child process that builds
 * the parity suite's network once and then times one call per request, so that the bench can take turns
 * with it call by call (this machine's speed drifts by up to a third over tens of seconds: a ratio of
 * medians taken minutes apart measured the drift as much as the networks).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { McscError } from '@mcsc/graph';

const PYTHON = process.env.PARITY_PYTHON ?? '/usr/bin/python3'; // Debian's python3 (python3-torch); the parity suite's default
const SCRIPT = fileURLToPath(new URL('../../../test/parity/torch_step_time.py', import.meta.url));

/** Whether python3 imports torch here (the PyTorch columns are optional); BENCH_TORCH=0 says no. */
export function hasTorch(): boolean {
  if (process.env.BENCH_TORCH === '0') return false;
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

export interface TorchReference {
  /** e.g. "PyTorch 1.13.0, 2 threads". */
  readonly version: string;
  /** Runs one eval forward or training step in the child and resolves to its time in ms. */
  time(call: 'forward' | 'step'): Promise<number>;
  close(): void;
}

/** Starts the child for a model config (the bench's JSON) at batch × 1 × size². */
export async function startTorchReference(modelConfig: unknown, batch: number, size: number): Promise<TorchReference> {
  const dir = mkdtempSync(join(tmpdir(), 'mcsc-torch-bench-'));
  const config = join(dir, 'model.json');
  writeFileSync(config, JSON.stringify(modelConfig));
  const child = spawn(PYTHON, [SCRIPT, config, String(batch), String(size)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (what: string): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new McscError('models.bench', `${SCRIPT} ended before ${what} (its stderr is above)`);
    return line.value;
  };
  const ready = JSON.parse(await next('it was ready')) as { threads: number; torch: string };
  rmSync(dir, { recursive: true, force: true });
  return {
    version: `PyTorch ${ready.torch}, ${ready.threads} threads`,
    async time(call) {
      child.stdin.write(`${call}\n`);
      return Number(await next(`a ${call} time`));
    },
    close: () => child.stdin.end(),
  };
}

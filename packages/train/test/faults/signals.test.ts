/**
 * Ctrl-C and SIGTERM on the README's own command, `pnpm mcsc train` at the cpu preset, signalled as a
 * terminal does: the whole process group (pnpm, its shell, the trainer) gets the signal. The trainer
 * must finish its step, write a checkpoint, say how to resume, and exit by itself — not be killed by
 * a wrapper. `--iterations` is small and `--out` a temp folder; everything else is the README run.
 */

import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDir } from '../../src/trainer/run-dir';
import { loggedIterations, spawnMcsc, waitFor, within, type McscChild } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'mcsc-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ITERATIONS = 40;

/** Kills what is left of a child's process group (nothing, when the test passed). */
function killGroup(run: McscChild): void {
  try {
    process.kill(-run.child.pid!, 'SIGKILL');
  } catch {
    // the group is gone
  }
}

/** Signals the process group of a `pnpm mcsc` child once its log holds a train record past `after`; returns that iteration. */
async function signalAfterAStep(run: McscChild, out: string, after: number, signal: NodeJS.Signals): Promise<number> {
  await waitFor(() => loggedIterations(out).some((t) => t > after), 150_000, `a logged step after iteration ${after}`, run);
  const seen = Math.max(...loggedIterations(out));
  process.kill(-run.child.pid!, signal);
  return seen;
}

describe('signals on `pnpm mcsc train` (the README command, cpu preset)', () => {
  test('Ctrl-C, then SIGTERM on the resumed run: each stops after the current step with a checkpoint, and the run resumes from it', async () => {
    const out = join(dir, 'run');
    // Ctrl-C: the terminal sends SIGINT to the foreground process group.
    const first = spawnMcsc(['train', '--iterations', String(ITERATIONS), '--out', out], { via: 'pnpm' });
    try {
      const seen = await signalAfterAStep(first, out, 0, 'SIGINT');
      const { signal } = await within(first.closed, 60_000, 'exit after SIGINT', first);
      const stderr = first.stderr();
      expect(stderr).toMatch(/interrupt: finishing this step, then writing a checkpoint/);
      expect(stderr).toMatch(new RegExp(`stopped at iteration \\d+ of ${ITERATIONS}; resume with: mcsc train --resume ${out}`));
      expect(signal === 'SIGINT' || first.child.exitCode === 130).toBe(true); // pnpm re-raises the trainer's SIGINT stop
      const checkpoint = RunDir.open(out).readCheckpoint()!;
      expect(checkpoint.iteration).toBeGreaterThanOrEqual(seen);
      expect(checkpoint.iteration).toBeLessThan(ITERATIONS);
      expect(stderr).toContain(`stopped at iteration ${checkpoint.iteration} of ${ITERATIONS}`);
      expect(readdirSync(join(out, 'checkpoints'))).toEqual([`state-${String(checkpoint.iteration).padStart(7, '0')}.safetensors`]);
      expect(existsSync(join(out, 'run.lock'))).toBe(false);

      // SIGTERM (a supervisor, `kill -TERM -<pgid>`): pnpm exits at once, the trainer finishes its step.
      const second = spawnMcsc(['train', '--resume', out], { via: 'pnpm' });
      try {
        const seen2 = await signalAfterAStep(second, out, checkpoint.iteration, 'SIGTERM');
        await within(second.closed, 60_000, 'the trainer exiting after SIGTERM', second);
        const stderr2 = second.stderr();
        expect(stderr2).toContain(`resuming ${out} at iteration ${checkpoint.iteration} of ${ITERATIONS}`);
        expect(stderr2).toMatch(/SIGTERM: finishing this step, then writing a checkpoint/);
        const resumed = RunDir.open(out).readCheckpoint()!;
        expect(resumed.iteration).toBeGreaterThanOrEqual(seen2);
        expect(resumed.iteration).toBeLessThan(ITERATIONS);
        expect(stderr2).toContain(`stopped at iteration ${resumed.iteration} of ${ITERATIONS}; resume with: mcsc train --resume ${out}`);
        expect(existsSync(join(out, 'run.lock'))).toBe(false);
        // the log holds each step once, up to the checkpoint or the step after it
        const logged = loggedIterations(out);
        expect(logged).toEqual([...new Set(logged)].sort((a, b) => a - b));
      } finally {
        killGroup(second);
      }
    } finally {
      killGroup(first);
    }
  }, 400_000);
});

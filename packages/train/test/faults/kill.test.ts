/**
 * kill -9 at any point of a run, then `--resume`: the resumed run reproduces the uninterrupted one
 * (every logged loss, learning rate, λ and validation Dice, and the test results). Real child
 * processes (`node --import tsx main.ts train`, as `pnpm mcsc` runs it) are killed: at the points of
 * the checkpoint protocol (MCSC_FAULT_KILL: the process SIGKILLs itself there) and at a moment
 * chosen by the clock.
 */

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDir } from '../../src/trainer/run-dir';
import { train } from '../../src/trainer/trainer';
import { TINY, tinyConfig, tinyData } from '../trainer/tiny';
import { loggedIterations, spawnMcsc, strip, waitFor, within, writeConfig, type McscChild } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'mcsc-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Checkpoints every 2 iterations, of 8; validation at 4 and 8; one onnxruntime thread (five runs at once). */
const FAULT = { optim: { iterations: 8 }, run: { ...(TINY.run as object), checkpointEvery: 2 }, runtime: { threads: 1 } };
const configPath = writeConfig(join(dir, 'fault.json'), { ...TINY, ...FAULT });

interface Killed {
  readonly name: string;
  readonly out: string;
  /** The checkpoint iteration a resume must start from (undefined: whatever the kill left). */
  readonly resumeAt?: number;
  /** A message the resume must print. */
  readonly says?: RegExp;
}

/** Runs the CLI into `out` with MCSC_FAULT_KILL=`fault`; resolves once the kill took it. */
async function killAt(fault: string, out: string): Promise<void> {
  const run = spawnMcsc(['train', '--config', configPath, '--out', out, '--no-progress'], { env: { MCSC_FAULT_KILL: fault } });
  const { signal } = await within(run.closed, 120_000, `the run killed at ${fault}`, run);
  expect([signal, run.stderr()]).toEqual(['SIGKILL', expect.not.stringMatching(/stopped at|test Dice/)]);
}

/** Runs the CLI into `out` and kill -9s it once its log holds 3 steps: a point chosen by the clock. */
async function killByClock(out: string): Promise<void> {
  const run: McscChild = spawnMcsc(['train', '--config', configPath, '--out', out, '--no-progress']);
  try {
    await waitFor(() => loggedIterations(out).length >= 3, 120_000, 'three logged steps', run);
  } finally {
    run.child.kill('SIGKILL');
  }
  await within(run.closed, 30_000, 'the killed run closing', run);
}

describe('kill -9, then --resume', () => {
  test('at each point of the checkpoint protocol and at a random moment, the resumed run reproduces the uninterrupted one', async () => {
    const cases: Killed[] = [
      // half of the iteration-5 log line written: the torn line is dropped, the run resumes at 4
      { name: 'torn-log', out: join(dir, 'torn-log'), resumeAt: 4, says: /log\.jsonl:\d+: dropped the torn last line/ },
      // state-6 written, checkpoint.json still at 4: resumes at 4, the orphan state is replaced later
      { name: 'state', out: join(dir, 'state'), resumeAt: 4 },
      // checkpoint.json at 6, state-4 not yet deleted: resumes at 6
      { name: 'pointer', out: join(dir, 'pointer'), resumeAt: 6 },
      { name: 'clock', out: join(dir, 'clock') },
    ];
    const faults: Record<string, string> = { 'torn-log': 'log-torn@5', state: 'state@6', pointer: 'pointer@6' };
    const dataset = await tinyData();
    // The children run while the uninterrupted run trains here.
    const killed = Promise.all(cases.map((c) => (faults[c.name] ? killAt(faults[c.name]!, c.out) : killByClock(c.out))));
    const whole = await train({ config: tinyConfig(FAULT), out: join(dir, 'whole'), dataset, progress: false, log: () => {} });
    await killed;

    const tornLog = readFileSync(join(dir, 'torn-log', 'log.jsonl'), 'utf8');
    expect(tornLog.endsWith('\n')).toBe(false);
    expect(readdirSync(join(dir, 'state', 'checkpoints')).sort()).toEqual(['state-0000004.safetensors', 'state-0000006.safetensors']);
    expect(readdirSync(join(dir, 'pointer', 'checkpoints')).sort()).toEqual(['state-0000004.safetensors', 'state-0000006.safetensors']);

    // The resumes run at once (onnxruntime computes off the main thread); each is checked on its own.
    const locks = cases.map((c) => RunDir.open(c.out).readLock());
    for (const lock of locks) expect(lock).toMatchObject({ pid: expect.any(Number) }); // the killed trainers' locks are left behind
    const resumes = await Promise.all(
      cases.map(async (c) => {
        const messages: string[] = [];
        const resumed = await train({ resume: c.out, dataset, progress: false, log: (m) => messages.push(m) }).catch((e: Error) =>
          Promise.reject(new Error(`${c.name}: ${e.message}\n${messages.join('\n')}`)),
        );
        return { resumed, said: messages.join('\n') };
      }),
    );
    cases.forEach((c, i) => {
      const { resumed, said } = resumes[i]!;
      expect(said).toContain(`took over the lock of pid ${locks[i]!.pid}`);
      if (c.resumeAt !== undefined) expect(said).toContain(`resuming ${c.out} at iteration ${c.resumeAt} of 8`);
      if (c.says) expect(said).toMatch(c.says);
      expect([c.name, resumed.completed, resumed.iteration]).toEqual([c.name, true, 8]);
      expect([c.name, strip(resumed.dir.readLog())]).toEqual([c.name, strip(whole.dir.readLog())]);
      expect([c.name, resumed.report!.results]).toEqual([c.name, whole.report!.results]);
      expect(readdirSync(join(c.out, 'checkpoints'))).toEqual(['state-0000008.safetensors']);
      expect(existsSync(join(c.out, 'run.lock'))).toBe(false);
      for (const sub of ['', 'checkpoints', 'best', 'final']) {
        expect(readdirSync(join(c.out, sub)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      }
    });
  }, 480_000);
});

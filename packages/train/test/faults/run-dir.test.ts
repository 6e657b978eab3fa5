/**
 * Faults of a run directory, in process: one writer at a time (the lock), a damaged log or
 * checkpoint, a write that fails (a full disk), a loss that stops being finite.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import {
  type PathOrFileDescriptor,
  type WriteFileOptions,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrainingSession } from '@mcsc/graph/node';
import { RunDir, type LogRecord } from '../../src/trainer/run-dir';
import { train } from '../../src/trainer/trainer';
import { TINY, tinyConfig, tinyData } from '../trainer/tiny';
import { loggedIterations, spawnMcsc, waitFor, within, writeConfig } from './helpers';

// The module object itself (not an import's copy), so that a spy on it reaches writeFileAtomic and RunDir.
const fs: typeof import('node:fs') = require('node:fs');

const dir = mkdtempSync(join(tmpdir(), 'mcsc-rundir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => jest.restoreAllMocks());

const quiet = { progress: false, log: () => {} } as const;
const record = (iteration: number): LogRecord => ({
  type: 'train',
  iteration,
  seconds: 0,
  lr: {},
  ctWeight: 0,
  contrastSlices: 0,
  losses: { loss: 1 },
});
/** A pid that ran on this host and no longer does. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
/** Files in a folder that are temp files of atomic writes. */
const temps = (folder: string) => (existsSync(folder) ? readdirSync(folder).filter((n) => n.endsWith('.tmp')) : []);

let base: Promise<string> | undefined;

/** A copy of one run stopped after 3 iterations (checkpoints every 2): its checkpoint is iteration 3. */
async function stoppedRun(name: string): Promise<RunDir> {
  base ??= train({
    config: tinyConfig({ run: { checkpointEvery: 2 } }),
    out: join(dir, 'base'),
    dataset: await tinyData(),
    stopAfter: 3,
    ...quiet,
  }).then((r) => r.dir.root);
  cpSync(await base, join(dir, name), { recursive: true });
  return RunDir.open(join(dir, name));
}

describe('one writer per run directory (run.lock)', () => {
  test('a second run into a directory in use is refused, naming the owner; a stale lock is taken over; another host is refused', async () => {
    const config = tinyConfig();
    const out = join(dir, 'locked');
    const first = RunDir.create(out, config);
    const owner = first.readLock()!;
    expect(owner).toEqual({ pid: process.pid, host: hostname(), started: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(() => RunDir.create(out, config)).toThrow(
      new RegExp(`${out}: another trainer is writing there \\(this process, since ${owner.started}`),
    );
    await expect(train({ config, out, dataset: await tinyData(), ...quiet })).rejects.toThrow(/another trainer is writing there/);
    // without --out, a directory in use is skipped like one that holds a run
    expect(RunDir.freshPath(dir, 'locked')).toBe(join(dir, 'locked-1'));
    first.releaseLock();
    expect(existsSync(first.lockPath)).toBe(false);

    // a lock whose pid no longer runs (a killed trainer) is taken over, with a message
    const pid = deadPid();
    writeFileSync(first.lockPath, JSON.stringify({ pid, host: hostname(), started: '2020-01-01T00:00:00.000Z' }));
    const messages: string[] = [];
    const second = RunDir.create(out, config, (m) => messages.push(m));
    expect(messages).toEqual([`${out}: took over the lock of pid ${pid} (since 2020-01-01T00:00:00.000Z), which no longer runs`]);
    expect(second.readLock()!.pid).toBe(process.pid);
    second.releaseLock();

    // another host's lock cannot be judged from here; an unreadable one says how to clear it
    writeFileSync(first.lockPath, JSON.stringify({ pid: 1, host: 'elsewhere', started: '2020-01-01T00:00:00.000Z' }));
    expect(() => RunDir.create(out, config)).toThrow(
      `${out}: in use by a trainer on host elsewhere (pid 1, since 2020-01-01T00:00:00.000Z; ${first.lockPath}); if it no longer runs, delete the lock file`,
    );
    writeFileSync(first.lockPath, '{"pid": 12');
    expect(() => RunDir.create(out, config)).toThrow(
      `${first.lockPath}: a lock that does not say who holds it ("{\\"pid\\": 12"); if no trainer runs in this directory, delete the file`,
    );
    rmSync(first.lockPath);
  });

  test('two `mcsc train` processes on one --out: the second refuses and the first runs on undisturbed; SIGTERM stops it with a checkpoint (exit 143)', async () => {
    const out = join(dir, 'two');
    const configPath = writeConfig(join(dir, 'long.json'), {
      ...TINY,
      optim: { iterations: 1000 },
      run: { ...(TINY.run as object), validateEvery: 1000 },
    });
    const args = ['train', '--config', configPath, '--out', out, '--no-progress'];
    const first = spawnMcsc(args);
    try {
      await waitFor(() => loggedIterations(out).length >= 2, 120_000, 'the first trainer stepping', first);
      const second = spawnMcsc(args);
      const { code } = await within(second.closed, 120_000, 'the second trainer refusing', second);
      expect(code).toBe(1);
      expect(second.stderr().trim()).toBe(
        `mcsc: ${out}: another trainer is writing there (pid ${first.child.pid}, since ${RunDir.open(out).readLock()!.started}; ${join(out, 'run.lock')}); wait for it or stop it, or choose another --out`,
      );
      const before = loggedIterations(out).length;
      await waitFor(() => loggedIterations(out).length > before + 2, 60_000, 'the first trainer going on', first);
      first.child.kill('SIGTERM');
      const { code: firstCode } = await within(first.closed, 60_000, 'the first trainer stopping', first);
      expect(firstCode).toBe(143);
      expect(first.stderr()).toMatch(/SIGTERM: finishing this step, then writing a checkpoint/);
      const logged = loggedIterations(out);
      expect(logged).toEqual(logged.map((_, i) => i + 1)); // one writer: 1, 2, 3, … once each
      expect(RunDir.open(out).readCheckpoint()!.iteration).toBe(logged.at(-1));
      expect(existsSync(join(out, 'run.lock'))).toBe(false);
    } finally {
      first.child.kill('SIGKILL');
    }
  }, 240_000);
});

describe('a damaged log or checkpoint', () => {
  test('a torn last log line is dropped with a message; a bad line before the last is an error naming the file and line', async () => {
    const run = RunDir.create(join(dir, 'log'), tinyConfig());
    run.releaseLock();
    for (const t of [1, 2, 3]) run.appendLog(record(t));
    fs.appendFileSync(run.logPath, '{"type":"train","iteration":4,"seconds":0.5,"lr":{"cn');
    const messages: string[] = [];
    expect(run.readLog((m) => messages.push(m)).map((r) => r.iteration)).toEqual([1, 2, 3]);
    expect(messages).toEqual([
      expect.stringMatching(
        new RegExp(`^${run.logPath}:4: dropped the torn last line \\(log line: invalid JSON: .*\\): \\{"type":"train","iteration":4`),
      ),
    ]);
    run.truncateLog(3);
    expect(readFileSync(run.logPath, 'utf8').split('\n')).toHaveLength(4);

    writeFileSync(run.logPath, `${JSON.stringify(record(1))}\n{"type":"tr\n${JSON.stringify(record(3))}\n`);
    expect(() => run.readLog()).toThrow(
      new RegExp(`^${run.logPath}:2: not a log record \\(log line: invalid JSON: .*\\); only a torn last line is repaired on resume$`),
    );
    writeFileSync(run.logPath, `${JSON.stringify(record(1))}\n[1, 2]\n${JSON.stringify(record(3))}\n`);
    expect(() => run.readLog()).toThrow(`${run.logPath}:2: not a log record (expected {"type": "train" | "val", "iteration": N, …})`);
  });

  test('a truncated checkpoint.json: the error names it and the intact state, with the checkpoint.json that resumes from it', async () => {
    const run = await stoppedRun('bad-pointer');
    const good = readFileSync(run.checkpointPath, 'utf8');
    writeFileSync(run.checkpointPath, good.slice(0, 40));
    let message = '';
    await train({ resume: run.root, dataset: await tinyData(), ...quiet }).catch((e: Error) => (message = e.message));
    expect(message).toMatch(
      new RegExp(
        `^checkpoint ${run.checkpointPath}: invalid JSON: .*; the state file checkpoints/state-0000003\\.safetensors \\(iteration 3\\) is intact: to resume from it, write this to ${run.checkpointPath}: \\{`,
      ),
    );
    expect(existsSync(run.lockPath)).toBe(false);
    // the JSON the message gives is the lost checkpoint.json
    const restore = JSON.parse(message.slice(message.indexOf(': {') + 2));
    expect(restore).toEqual(JSON.parse(good));
    writeFileSync(run.checkpointPath, JSON.stringify(restore));
    const resumed = await train({ resume: run.root, dataset: await tinyData(), stopAfter: 4, ...quiet });
    expect(resumed.iteration).toBe(4);

    writeFileSync(run.checkpointPath, JSON.stringify({ ...restore, state: '../../etc/passwd' }));
    expect(() => run.readCheckpoint()).toThrow(
      `checkpoint ${run.checkpointPath}: not an mcsc checkpoint (state "../../etc/passwd", expected "checkpoints/state-<iteration>.safetensors")`,
    );
  });

  test('a truncated state file: the error names it and says which state is intact, or that none is', async () => {
    const run = await stoppedRun('bad-state');
    const state = run.path('checkpoints', 'state-0000003.safetensors');
    const bytes = readFileSync(state);
    writeFileSync(state, bytes.subarray(0, bytes.length - 1000));
    await expect(train({ resume: run.root, dataset: await tinyData(), ...quiet })).rejects.toThrow(
      new RegExp(`^cannot resume from ${run.checkpointPath}: ${state}: .*; no intact state file in ${run.path('checkpoints')}$`),
    );
    // another state that decodes (a kill between the writes of a checkpoint leaves two) is named, with
    // the iteration it records (here a copy of the good state: iteration 3)
    writeFileSync(run.path('checkpoints', 'state-0000002.safetensors'), bytes);
    await expect(train({ resume: run.root, dataset: await tinyData(), ...quiet })).rejects.toThrow(
      /; the state file checkpoints\/state-0000002\.safetensors \(iteration 3\) is intact: to resume from it, write this to /,
    );
  });

  test('a checkpoint that does not read back is not kept: the previous one is, whole', async () => {
    const run = await stoppedRun('verify');
    const pointer = readFileSync(run.checkpointPath, 'utf8');
    const session = { exportState: () => new Uint8Array(100) };
    expect(() => run.writeCheckpoint(session as never, { iteration: 4, best: {}, elapsedSeconds: 1 })).toThrow(
      new RegExp(
        `^checkpoint at iteration 4 not written: ${run.path('checkpoints', 'state-0000004.safetensors')}: .*; the previous checkpoint \\(iteration 3, checkpoints/state-0000003\\.safetensors\\) is kept$`,
      ),
    );
    expect(readFileSync(run.checkpointPath, 'utf8')).toBe(pointer);
    expect(readdirSync(run.path('checkpoints'))).toEqual(['state-0000003.safetensors']);
    expect(run.verifyState(join('checkpoints', 'state-0000003.safetensors')).iteration).toBe(3);
  });
});

describe('a full disk', () => {
  /** Makes fs.writeFileSync write half of what it is given to paths matching `match`, then fail with ENOSPC. */
  function fullDiskFor(match: RegExp): void {
    const real = fs.writeFileSync;
    jest.spyOn(fs, 'writeFileSync').mockImplementation(((
      path: PathOrFileDescriptor,
      data: string | NodeJS.ArrayBufferView,
      options?: WriteFileOptions,
    ) => {
      if (typeof path === 'string' && match.test(path)) {
        const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        real(path, bytes.subarray(0, bytes.length >> 1), options);
        throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC' });
      }
      return real(path, data, options);
    }) as typeof fs.writeFileSync);
  }

  test('a checkpoint write fails: the error names the file, no temp file is left, the previous checkpoint is kept', async () => {
    const run = await stoppedRun('enospc');
    const pointer = readFileSync(run.checkpointPath, 'utf8');
    fullDiskFor(/state-0000004/);
    await expect(train({ resume: run.root, dataset: await tinyData(), stopAfter: 4, ...quiet })).rejects.toThrow(
      `checkpoint at iteration 4 not written: ${run.path('checkpoints', 'state-0000004.safetensors')}: cannot write: ENOSPC: no space left on device, write; the previous checkpoint (iteration 3, checkpoints/state-0000003.safetensors) is kept`,
    );
    expect(readdirSync(run.path('checkpoints'))).toEqual(['state-0000003.safetensors']);
    expect(readFileSync(run.checkpointPath, 'utf8')).toBe(pointer);
    expect(existsSync(run.lockPath)).toBe(false);

    // the pointer's write fails: the new state is removed again, the old pointer stays
    jest.restoreAllMocks();
    fullDiskFor(/checkpoint\.json/);
    await expect(train({ resume: run.root, dataset: await tinyData(), stopAfter: 4, ...quiet })).rejects.toThrow(
      `checkpoint at iteration 4 not written: ${run.checkpointPath}: cannot write: ENOSPC: no space left on device, write; the previous checkpoint (iteration 3, checkpoints/state-0000003.safetensors) is kept`,
    );
    expect(readdirSync(run.path('checkpoints'))).toEqual(['state-0000003.safetensors']);
    expect(readFileSync(run.checkpointPath, 'utf8')).toBe(pointer);
    for (const sub of ['', 'checkpoints', 'best']) expect(temps(run.path(sub))).toEqual([]);
  });

  test('a report write fails: the error names the file and no temp file is left; a log append that fails is cut back', async () => {
    const out = join(dir, 'enospc-report');
    fullDiskFor(/report\.json/);
    await expect(train({ config: tinyConfig({ optim: { iterations: 2 } }), out, dataset: await tinyData(), ...quiet })).rejects.toThrow(
      `${join(out, 'report.json')}: cannot write: ENOSPC: no space left on device, write`,
    );
    expect(temps(out)).toEqual([]);
    expect(existsSync(join(out, 'report.json'))).toBe(false);
    jest.restoreAllMocks();

    const run = RunDir.open(out);
    const log = readFileSync(run.logPath, 'utf8');
    const real = fs.writeSync;
    jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, data: Uint8Array, offset?: number, length?: number) => {
      real(fd, data, offset, Math.min(length ?? data.length, 10));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as unknown as typeof fs.writeSync);
    expect(() => run.appendLog(record(3))).toThrow(`${run.logPath}: cannot append a log record: ENOSPC: no space left on device, write`);
    jest.restoreAllMocks();
    expect(readFileSync(run.logPath, 'utf8')).toBe(log);
  });

  const tmpfs = mountTmpfs(join(dir, 'tmpfs'), '9m');
  (tmpfs ? test : test.skip)(
    'on a real full file system (a 9 MiB tmpfs; needs root): ENOSPC on the second checkpoint keeps the first, whole',
    async () => {
      const out = join(tmpfs!, 'run');
      let message = '';
      // one state (~6.5 MB) fits, two do not: the previous state is kept while the next is written
      await train({
        config: tinyConfig({ run: { checkpointEvery: 2, validateEvery: 100 } }),
        out,
        dataset: await tinyData(),
        stopAfter: 4,
        ...quiet,
      }).catch((e: Error) => (message = e.message));
      expect(message).toMatch(
        new RegExp(
          `^checkpoint at iteration 4 not written: ${out}/checkpoints/state-0000004\\.safetensors: cannot write: ENOSPC: no space left on device.*; the previous checkpoint \\(iteration 2, checkpoints/state-0000002\\.safetensors\\) is kept$`,
        ),
      );
      const run = RunDir.open(out);
      expect(readdirSync(run.path('checkpoints'))).toEqual(['state-0000002.safetensors']);
      expect(run.verifyState(run.readCheckpoint()!.state).iteration).toBe(2);
      expect([...temps(out), ...temps(run.path('checkpoints'))]).toEqual([]);
      expect(existsSync(run.lockPath)).toBe(false);
    },
  );
});

describe('a loss that is not finite', () => {
  test('stops at that iteration, naming it and the terms, without saving that state; the last good checkpoint is kept', async () => {
    const out = join(dir, 'nan');
    // a learning rate of 1e30 blows the parameters up in a step or two
    const config = tinyConfig({
      optim: { cnnLr: 1e30, transformerLr: 1e30, projectorLr: 1e30 },
      run: { checkpointEvery: 1, validateEvery: 100 },
    });
    let message = '';
    await train({ config, out, dataset: await tinyData(), ...quiet }).catch((e: Error) => (message = e.message));
    const m =
      /^iteration (\d+): the loss is not finite \(([^)]*)\); stopped without saving this state; the last good checkpoint \(iteration (\d+)\) in (\S+) is kept; resume it with mcsc train --resume \S+ \(perhaps with a lower learning rate\)$/.exec(
        message,
      );
    expect(m).not.toBeNull();
    const [, bad, terms, kept] = m!;
    expect(Number(kept)).toBe(Number(bad) - 1);
    expect(terms).toMatch(/^(NaN|-?Infinity): loss, \w+/);
    const run = RunDir.open(out);
    expect(run.readCheckpoint()!.iteration).toBe(Number(kept));
    expect(readdirSync(run.path('checkpoints'))).toEqual([`state-${kept!.padStart(7, '0')}.safetensors`]);
    expect(run.readLog().every((r) => r.iteration < Number(bad))).toBe(true);
    expect(existsSync(run.lockPath)).toBe(false);
  });

  test('the error names the term that is not finite', async () => {
    const out = join(dir, 'inf');
    const create = TrainingSession.create.bind(TrainingSession);
    let calls = 0;
    jest.spyOn(TrainingSession, 'create').mockImplementation(async (options) => {
      const session = await create(options);
      const step = session.step.bind(session);
      session.step = async (...args) => {
        const losses = await step(...args);
        return ++calls === 3 ? { ...losses, con_eighth: Infinity, con: Infinity, loss: Infinity } : losses;
      };
      return session;
    });
    await expect(train({ config: tinyConfig({ run: { checkpointEvery: 2 } }), out, dataset: await tinyData(), ...quiet })).rejects.toThrow(
      `iteration 3: the loss is not finite (Infinity: loss, con_eighth, con); stopped without saving this state; the last good checkpoint (iteration 2) in ${out} is kept`,
    );
    expect(RunDir.open(out).readCheckpoint()!.iteration).toBe(2);
  });
});

/** Mounts a tmpfs of `size` at `path` (root on Linux only); undefined when that is not possible. Unmounted after the file. */
function mountTmpfs(path: string, size: string): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  try {
    mkdirSync(path, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  afterAll(() => {
    try {
      execFileSync('umount', [path], { stdio: 'ignore' });
    } catch {
      // left for the temp folder's removal to report
    }
  });
  return path;
}

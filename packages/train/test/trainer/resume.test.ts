import { spawn } from 'node:child_process';
import * as ort from 'onnxruntime-node';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../src/trainer/trainer';
import { RunDir, type LogRecord } from '../../src/trainer/run-dir';
import { TINY, tinyConfig, tinyData } from './tiny';

const dir = mkdtempSync(join(tmpdir(), 'mcsc-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = { progress: false, log: () => {} } as const;
const strip = (log: LogRecord[]) => log.map(({ seconds: _, ...rest }) => rest);

describe('run directory and exact resume', () => {
  test('a run stopped after 3 iterations and resumed reproduces the uninterrupted losses, validation and test results', async () => {
    const dataset = await tinyData();
    const config = tinyConfig();
    const whole = await train({ config, out: join(dir, 'whole'), dataset, ...quiet });
    const first = await train({ config, out: join(dir, 'split'), dataset, stopAfter: 3, ...quiet });
    expect([first.completed, first.iteration]).toEqual([false, 3]);
    expect(first.dir.readCheckpoint()).toMatchObject({ iteration: 3, state: join('checkpoints', 'state-0000003.safetensors') });
    const resumed = await train({ resume: join(dir, 'split'), dataset, ...quiet });
    expect([resumed.completed, resumed.iteration]).toEqual([true, 8]);

    const a = whole.dir.readLog();
    const b = resumed.dir.readLog();
    expect(a.filter((r) => r.type === 'train')).toHaveLength(8);
    expect(strip(b)).toEqual(strip(a)); // bit-identical losses, learning rates, λ, validation Dice
    expect(resumed.report!.results).toEqual(whole.report!.results);
    expect(resumed.report!.weights).toEqual(whole.report!.weights);
  });

  test('checkpoints are a pointer plus one state file; log lines after the checkpoint are dropped on resume', async () => {
    const dataset = await tinyData();
    const out = join(dir, 'pointer');
    const config = tinyConfig({ run: { checkpointEvery: 2 } });
    await train({ config, out, dataset, stopAfter: 5, ...quiet });
    const run = RunDir.open(out);
    expect(readdirSync(run.path('checkpoints'))).toEqual(['state-0000005.safetensors']);
    // a crash after iteration 5 but before the next checkpoint leaves extra log lines; resume drops them
    run.appendLog({ type: 'train', iteration: 6, seconds: 0, lr: {}, ctWeight: 0, contrastSlices: 0, losses: { loss: 99 } });
    const resumed = await train({ resume: out, dataset, stopAfter: 6, ...quiet });
    const log = resumed.dir.readLog().filter((r) => r.type === 'train');
    expect(log.map((r) => r.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(log[5]!.type === 'train' && log[5]!.losses.loss).not.toBe(99);
    expect(() => RunDir.create(out, config)).toThrow(/already holds a run.*--resume/);
    expect(() => RunDir.open(join(dir, 'nothing'))).toThrow(/not a run directory \(no config\.json\)/);
    // without --out, the same command twice gets a new directory instead of refusing
    expect(RunDir.freshPath(dir, 'pointer')).toBe(join(dir, 'pointer-1'));
    expect(RunDir.freshPath(dir, 'fresh')).toBe(join(dir, 'fresh'));
  });

  test('the run directory holds the resolved config, the log, best and final weights, the report, figures and both ONNX models', async () => {
    const out = join(dir, 'whole');
    const names = readdirSync(out).sort();
    expect(names).toEqual(
      expect.arrayContaining([
        'best',
        'checkpoint.json',
        'checkpoints',
        'cnn.onnx',
        'config.json',
        'final',
        'log.jsonl',
        'loss.png',
        'overlays',
        'report.json',
        'report.md',
        'transformer.onnx',
        'val.png',
      ]),
    );
    expect(readdirSync(join(out, 'best')).sort()).toEqual(['cnn.safetensors', 'trans.safetensors']);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual(tinyConfig());
    expect(readdirSync(out).some((n) => n.endsWith('.tmp'))).toBe(false);
    // both inference models load in onnxruntime-node with a dynamic batch: image [N, 1, 64, 64] → probs [N, 4, 64, 64]
    for (const name of ['cnn.onnx', 'transformer.onnx']) {
      const session = await ort.InferenceSession.create(join(out, name));
      expect([session.inputNames, session.outputNames]).toEqual([['image'], ['probs']]);
      const { probs } = await session.run({ image: new ort.Tensor('float32', new Float32Array(3 * 64 * 64).fill(0.3), [3, 1, 64, 64]) });
      expect(probs!.dims).toEqual([3, 4, 64, 64]);
      const p = probs!.data as Float32Array;
      expect(p[5]! + p[4096 + 5]! + p[2 * 4096 + 5]! + p[3 * 4096 + 5]!).toBeCloseTo(1, 5);
    }
  });

  test('Ctrl-C in `mcsc train` leaves a resumable checkpoint', async () => {
    const configPath = join(dir, 'ctrl-c.json');
    writeFileSync(
      configPath,
      JSON.stringify({ ...TINY, optim: { iterations: 1000 }, run: { ...(TINY.run as object), validateEvery: 1000 } }),
    );
    const out = join(dir, 'ctrl-c');
    const root = join(__dirname, '../../../..');
    // One process (node --import tsx), as a terminal's Ctrl-C reaches the trainer.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'packages/train/src/cli/main.ts'), 'train', '--config', configPath, '--out', out, '--no-progress'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const logged = () =>
      existsSync(join(out, 'log.jsonl')) ? readFileSync(join(out, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).length : 0;
    const deadline = Date.now() + 60_000;
    while (logged() < 3 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(stderr).toMatch(/stopped at iteration \d+ of 1000; resume with: mcsc train --resume/);
    expect(code).toBe(130);
    const checkpoint = RunDir.open(out).readCheckpoint()!;
    expect(checkpoint.iteration).toBeGreaterThanOrEqual(3);
    expect(checkpoint.iteration).toBeLessThan(1000);
    const resumed = await train({ resume: out, stopAfter: checkpoint.iteration + 1, dataset: await tinyData(), ...quiet });
    expect(resumed.iteration).toBe(checkpoint.iteration + 1);
  });
});

import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register as registerCompare } from '../../src/cli/compare';
import { register as registerEvaluate } from '../../src/cli/evaluate';
import { register as registerTrain } from '../../src/cli/train';
import { TINY } from './tiny';
import { writeAcdcLayout } from '../data/layout-fixtures';

const dir = mkdtempSync(join(tmpdir(), 'mcsc-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const configPath = join(dir, 'tiny.json');
writeFileSync(configPath, JSON.stringify({ ...TINY, optim: { iterations: 4 } }));

/** Runs `mcsc <args>` in-process; returns what it printed on stdout. */
async function mcsc(...args: string[]): Promise<string> {
  const program = new Command('mcsc').exitOverride().configureOutput({ writeErr: () => {} });
  registerTrain(program);
  registerEvaluate(program);
  registerCompare(program);
  const out: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const err = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    await program.parseAsync(['node', 'mcsc', ...args]);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  return out.join('\n');
}

describe('the mcsc train / evaluate / compare commands', () => {
  test('train prints the test Dice and where the report is; evaluate reproduces it from the run directory', async () => {
    const out = join(dir, 'run');
    const printed = await mcsc('train', '--config', configPath, '--out', out, '--no-progress');
    expect(printed).toMatch(
      /^test Dice: CNN \d+\.\d\d, Transformer \d+\.\d\d, ensemble \d+\.\d\d \(2 volumes\)\nreport: .*run\/report\.html/,
    );
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const again = await mcsc('evaluate', '--run', out);
    expect(again.split('\n')[0]).toBe(printed.split('\n')[0]);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).results).toEqual(report.results);
  });

  test('evaluate --data with another class count names both counts instead of failing on a weight shape', async () => {
    const other = join(dir, 'acdc-3');
    await writeAcdcLayout(other, { patients: 2, classes: 3 });
    await expect(mcsc('evaluate', '--run', join(dir, 'run'), '--data', other)).rejects.toThrow(
      /run with --data: the data gives 3 classes \(.*\) but the run's networks were trained for 4; expected data of the same task/,
    );
  });

  test('compare runs each method with the same seeds and prints mean ± sd', async () => {
    const out = join(dir, 'compare');
    const compare = ['compare', '--config', configPath, '--iterations', '2', '--seeds', '1,2', '--methods', 'supervised,cross-teaching'];
    const printed = await mcsc(...compare, '--out', out, '--no-progress');
    expect(printed).toMatch(/Seeds 1, 2; synthetic data, 2 labeled patients, 2 iterations/);
    expect(printed).toMatch(
      /\| supervised \| \d+\.\d\d ± \d+\.\d\d \| \d+\.\d\d ± \d+\.\d\d \| \d+\.\d\d ± \d+\.\d\d \| 1, 2 \| [\d.]+ \|/,
    );
    expect(printed).toMatch(/\| cross-teaching − supervised \| CNN \| \d+ \| /);
    const saved = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
    expect(saved.methods.map((m: { method: string; seeds: number[] }) => [m.method, m.seeds.length])).toEqual([
      ['supervised', 2],
      ['cross-teaching', 2],
    ]);
    expect(readFileSync(join(out, 'compare.html'), 'utf8')).toContain('Paired differences');
    expect(JSON.parse(readFileSync(join(out, 'supervised-s2', 'config.json'), 'utf8')).seed).toBe(2);
    // started again, compare reuses the finished runs
    const again = await mcsc(...compare, '--out', out, '--no-progress');
    expect(again).toBe(printed);
  });

  test('bad arguments are rejected with the flag and the value', async () => {
    await expect(mcsc('train', '--preset', 'gpu')).rejects.toThrow(/--preset must be 'paper' or 'cpu', got 'gpu'/);
    await expect(mcsc('train', '--labeled', '0')).rejects.toThrow(/--labeled must be a positive integer, got '0'/);
    await expect(mcsc('train', '--seed', '1.5')).rejects.toThrow(/--seed must be an integer, got '1\.5'/);
    await expect(mcsc('train', '--device', 'tpu')).rejects.toThrow(/--device must be 'cpu'.*, got 'tpu'/);
    await expect(mcsc('compare', '--methods', 'mcsc,foo')).rejects.toThrow(
      /--methods must be comma-separated 'supervised', 'cross-teaching', 'mcsc', 'mcsc-unbalanced' or 'mcsc-single-scale', got 'foo'/,
    );
    await expect(mcsc('compare', '--seeds', '1,x')).rejects.toThrow(/--seeds must be comma-separated integers, got 'x'/);
    await expect(mcsc('train', '--data', join(dir, 'nowhere'))).rejects.toThrow(/--data: .*nowhere does not exist/);
    await expect(mcsc('train', '--config', configPath, '--resume', join(dir, 'nothing'))).rejects.toThrow(/not a run directory/);
  });
});

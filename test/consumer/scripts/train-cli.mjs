// The installed `mcsc` bin: --help lists the commands, and a two-iteration `mcsc train` on tiny synthetic
// data writes a complete run directory whose cnn.onnx @mcsc/infer can load. `npx --no` never downloads:
// a missing bin must fail here, not fetch some other "mcsc" from the registry.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSegmenter } from '@mcsc/infer';
import { assert, main } from './lib.cjs';

const mcsc = (...args) => execFileSync('npx', ['--no', '--', 'mcsc', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

main(async () => {
  const help = mcsc('--help');
  for (const command of ['train', 'evaluate', 'compare', 'export', 'predict'])
    assert(new RegExp(`^\\s+${command}\\b`, 'm').test(help), `--help lists ${command}:\n${help}`);

  const out = join(mkdtempSync(join(tmpdir(), 'mcsc-consumer-train-')), 'run');
  try {
    const printed = mcsc('train', '--config', 'tiny.json', '--out', out, '--no-progress', '--threads', '2');
    assert(
      /^test Dice: CNN \d+\.\d\d, Transformer \d+\.\d\d, ensemble \d+\.\d\d \(1 volumes\)$/m.test(printed),
      `train prints the test Dice:\n${printed}`,
    );
    for (const f of ['report.json', 'report.md', 'report.html', 'cnn.onnx', 'transformer.onnx', 'config.json'])
      assert(existsSync(join(out, f)), `run directory has ${f}`);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert(report.iterations === 2, `report.json: 2 iterations, got ${report.iterations}`);
    const dice = report.results.ensemble.mean.dice;
    assert(Number.isFinite(dice) && dice >= 0 && dice <= 1, `report.json: ensemble Dice in [0, 1], got ${dice}`);
    // The trained model is a valid inference model for @mcsc/infer (input [N, 1, 32, 32], 4 classes).
    const segmenter = await createSegmenter(join(out, 'cnn.onnx'));
    const { labels } = await segmenter.segmentVolume(new Float32Array(2 * 40 * 36).fill(0.5), [2, 40, 36]);
    await segmenter.release();
    assert(labels.length === 2 * 40 * 36 && labels.every((v) => v < segmenter.classes), 'cnn.onnx segments a volume');
    console.log(
      `--help lists the commands; train: 2 iterations, ensemble Dice ${dice.toFixed(4)}, report.json + cnn.onnx (${segmenter.classes} classes) OK`,
    );
  } finally {
    rmSync(join(out, '..'), { recursive: true, force: true });
  }
});

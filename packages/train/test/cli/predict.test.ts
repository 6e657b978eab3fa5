import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { readNifti, writeNifti } from '@mcsc/infer';
import { exportModel } from '../../src/cli/export';
import { register } from '../../src/cli/predict';

const dir = mkdtempSync(join(tmpdir(), 'mcsc-predict-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function mcsc(...args: string[]): Promise<void> {
  const program = new Command('mcsc').exitOverride();
  register(program);
  await program.parseAsync(['node', 'mcsc', ...args]);
}

describe('mcsc predict', () => {
  const config = join(dir, 'unet.json');
  const model = join(dir, 'unet.onnx');
  const scan = join(dir, 'scan.nii');

  beforeAll(async () => {
    writeFileSync(config, JSON.stringify({ arch: 'unet', numClasses: 3, channels: [4, 8, 8, 8, 8] }));
    await exportModel({ modelConfig: config, out: model, size: 16 });
    await writeNifti(
      scan,
      Float32Array.from({ length: 20 * 18 * 3 }, (_, i) => Math.sin(i / 7)),
      { dims: [20, 18, 3], spacing: [0.8, 0.9, 4] },
    );
  });

  test('an ensemble writes labels with the input geometry and overlays', async () => {
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => {
      lines.push(line);
    });
    const out = join(dir, 'labels.nii.gz');
    await mcsc('predict', '--model', model, '--model', model, '--input', scan, '--out', out, '--png', join(dir, 'png'), '--batch', '2');
    log.mockRestore();
    const labels = await readNifti(out);
    expect(labels.dims).toEqual([20, 18, 3]);
    expect(labels.spacing.map((s) => Number(s.toFixed(4)))).toEqual([0.8, 0.9, 4]);
    expect(Math.max(...labels.data)).toBeLessThan(3);
    expect(lines[0]).toMatch(/scan\.nii: \[20, 18, 3\], 3 slices along axis 2; ensemble of .*unet\.onnx \(1×16×16 → 3 classes\)/);
    expect(lines.some((l) => /wrote 3 overlays/.test(l))).toBe(true);
    expect(existsSync(join(dir, 'png', 'slice_002.png'))).toBe(true);
  });

  test.each([
    [['--out', 'x.png'], /--out must be a \.nii or \.nii\.gz file, got 'x\.png'/],
    [['--out', 'x.nii', '--axis', '3'], /--axis must be '0', '1' or '2', got '3'/],
    [['--out', 'x.nii', '--intensity', 'log'], /--intensity must be 'minmax', 'none' or 'lo,hi' with hi > lo, got 'log'/],
    [['--out', 'x.nii', '--batch', '0'], /--batch must be a positive integer, got '0'/],
  ])('bad options %j are one clear error', async (extra, message) => {
    await expect(mcsc('predict', '--model', model, '--input', scan, ...extra)).rejects.toThrow(message);
  });
});

/**
 * Inputs that used to give silent wrong results or raw errors: `mcsc grad` batches with labels that
 * are not classes of the model or images that are not finite; hostile trainer config files (deep
 * nesting, prototype keys); `--device cuda` where CUDA cannot start.
 */

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, type NamedTensor } from '@mcsc/graph/node';
import { checkCuda, cudaFailureReason } from '../../src/cli/cuda';
import { computeGrad } from '../../src/cli/grad';
import { configFromCli } from '../../src/cli/train';
import { deepMerge, readConfigFile, resolveConfig } from '../../src/trainer/config';
import { RunDir } from '../../src/trainer/run-dir';
import { train } from '../../src/trainer/trainer';
import { configProblems, TINY, tinyConfig, tinyData } from '../trainer/tiny';
import { spawnMcsc, within, writeConfig } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'mcsc-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mcsc grad checks the batch before computing', () => {
  const model = writeConfig(join(dir, 'unet.json'), { arch: 'unet', numClasses: 4, channels: [4, 4, 8, 8, 8] });
  /** A batch file of 2 slices 16×16 with one label (at slice 1, row 3, column 5) or one pixel replaced. */
  const batch = (name: string, o: { label?: bigint; labelDtype?: 'int64' | 'bool'; pixel?: number; channels?: number }) => {
    const c = o.channels ?? 1;
    const image = new Float32Array(2 * c * 256).fill(0.5);
    if (o.pixel !== undefined) image[256 * c + 3 * 16 + 5] = o.pixel;
    const labels = new BigInt64Array(512).fill(1n);
    if (o.label !== undefined) labels[256 + 3 * 16 + 5] = o.label;
    const label: NamedTensor =
      o.labelDtype === 'bool'
        ? { dtype: 'bool', shape: [2, 16, 16], data: Uint8Array.from(labels, (v) => Number(v)) }
        : { dtype: 'int64', shape: [2, 16, 16], data: labels };
    const path = join(dir, `${name}.safetensors`);
    writeFileSync(
      path,
      encodeSafetensors(
        new Map([
          ['image', { dtype: 'float32', shape: [2, c, 16, 16], data: image }],
          ['label', label],
        ]),
      ),
    );
    return path;
  };
  const grad = (b: string) =>
    computeGrad({ modelConfig: model, weights: join(dir, 'never-read.safetensors'), batch: b, out: join(dir, 'grads.safetensors') });

  test.each([
    ['7', 7n, 'int64'],
    ['-1', -1n, 'int64'],
    ['2^40', 2n ** 40n, 'int64'],
    ['200 as uint8', 200n, 'bool'],
  ] as const)('a label of %s for a 4-class model: an error naming the file, the position and the value', async (_, value, labelDtype) => {
    const b = batch(`label-${value}`, { label: value, labelDtype });
    await expect(grad(b)).rejects.toThrow(
      `${b}: label[1, 3, 5] (slice 1, row 3, column 5) is ${value}, not a class of this 4-class model: labels must be integers in [0, 4) (1 of 512 labels are out of range; 2 slices)`,
    );
    expect(existsSync(join(dir, 'grads.safetensors'))).toBe(false);
  });

  test.each([[NaN], [Infinity], [-Infinity]])('an image with %s: an error naming the file, the position and the value', async (value) => {
    const b = batch(`pixel-${value}`, { pixel: value });
    await expect(grad(b)).rejects.toThrow(
      `${b}: image[1, 0, 3, 5] (slice 1, channel 0, row 3, column 5) is ${value}; images must be finite (1 of 512 values are not)`,
    );
  });

  test('an image with other channels than the model takes', async () => {
    const b = batch('channels', { channels: 3 });
    await expect(grad(b)).rejects.toThrow(`${b}: tensor 'image' has 3 channels [2, 3, 16, 16], but the model takes 1`);
  });

  test('`mcsc grad` with a bad label exits 1 with one line and writes nothing', async () => {
    const b = batch('cli', { label: 7n });
    const out = join(dir, 'cli-grads.safetensors');
    const run = spawnMcsc(['grad', '--model-config', model, '--weights', join(dir, 'never-read.safetensors'), '--batch', b, '--out', out]);
    const { code } = await within(run.closed, 60_000, 'mcsc grad', run);
    expect(code).toBe(1);
    expect(run.stderr().trim().split('\n')).toEqual([
      expect.stringMatching(/^mcsc: .*cli\.safetensors: label\[1, 3, 5\] .* is 7, not a class of this 4-class model/),
    ]);
    expect(existsSync(out)).toBe(false);
  }, 90_000);
});

describe('trainer config files are read with the safe JSON reader', () => {
  const problems = configProblems;

  test('deep nesting is refused before parsing (no stack overflow), naming the file, line and column', () => {
    const deep = join(dir, 'deep.json');
    writeFileSync(deep, `{"optim": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(problems(() => readConfigFile(deep))).toEqual([
      'JSON nested deeper than 64 levels (line 1, column 74); expected a configuration, at most 64 levels deep',
    ]);
    expect(() => configFromCli({ config: deep, progress: false })).toThrow(
      new RegExp(`^${deep}: invalid trainer config\\n {2}JSON nested deeper than 64 levels`),
    );
  });

  test('__proto__, constructor and prototype keys are refused, naming the file and where', () => {
    const proto = join(dir, 'proto.json');
    writeFileSync(proto, '{"optim": {"__proto__": {"iterations": 3}}}');
    expect(problems(() => readConfigFile(proto))).toEqual([
      'key "__proto__" in optim is not allowed (it would reach an object\'s prototype)',
    ]);
    writeFileSync(proto, '{"constructor": {"prototype": {}}}');
    expect(problems(() => readConfigFile(proto))).toEqual(['key "constructor" is not allowed (it would reach an object\'s prototype)']);
    // and a "__proto__" own key that reaches the merge another way stays a key, which the schema refuses
    const hostile = JSON.parse('{"run": {"__proto__": {"logEvery": 3}}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(deepMerge({}, hostile).run)).toBe(Object.prototype);
    expect(() => resolveConfig('cpu', [hostile], 'hostile')).toThrow(/run: Unrecognized key: "__proto__"/);
    expect(({} as Record<string, unknown>).logEvery).toBeUndefined();
  });

  test("a resumed run's config.json is read the same way", async () => {
    const out = join(dir, 'resume-proto');
    await train({ config: tinyConfig(), out, dataset: await tinyData(), stopAfter: 1, progress: false, log: () => {} });
    const run = RunDir.open(out);
    writeFileSync(run.configPath, '{"__proto__": {"name": "x"}}');
    await expect(train({ resume: out, progress: false, log: () => {} })).rejects.toThrow(
      `${run.configPath}: invalid trainer config\n  key "__proto__" is not allowed (it would reach an object's prototype)`,
    );
    expect(existsSync(run.lockPath)).toBe(false);
  });
});

describe('--device cuda where CUDA cannot start', () => {
  test("onnxruntime's failure is summed up in one line", () => {
    const log =
      '\u001b[1;31m2026-12-02 10:52:52.831 [E:onnxruntime:onnxruntime-node, provider_bridge_ort.cc:2146 Create] /onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:1988 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library /x/bin/napi-v6/linux/x64/libonnxruntime_providers_shared.so with error: /x/bin/napi-v6/linux/x64/libonnxruntime_providers_shared.so: cannot open shared object file: No such file or directory\n\u001b[m';
    expect(cudaFailureReason('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library', log)).toBe(
      'libonnxruntime_providers_shared.so: cannot open shared object file: No such file or directory',
    );
    expect(
      cudaFailureReason(
        'Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.12: cannot open shared object file: No such file or directory',
        '',
      ),
    ).toBe('libcublasLt.so.12: cannot open shared object file: No such file or directory');
    expect(cudaFailureReason('CUDA failure 100: no CUDA-capable device is detected ; GPU=0\nmore', '')).toBe(
      'CUDA failure 100: no CUDA-capable device is detected ; GPU=0',
    );
  });

  test("`mcsc train --device cuda` prints one clear line (not onnxruntime's log) and creates no run directory", async () => {
    if ((await checkCuda(join(__dirname, '../../src/cli/main.ts'))).ok) return; // CUDA works here: nothing to refuse
    const out = join(dir, 'cuda-run');
    const configPath = writeConfig(join(dir, 'cuda.json'), { ...TINY, optim: { iterations: 2 } });
    const run = spawnMcsc(['train', '--config', configPath, '--device', 'cuda', '--out', out, '--no-progress']);
    const { code } = await within(run.closed, 60_000, 'mcsc train --device cuda', run);
    expect(code).toBe(1);
    expect(run.stderr().trim().split('\n')).toEqual([
      expect.stringMatching(
        /^mcsc: --device cuda: onnxruntime-node cannot start CUDA here \(.+\); install its CUDA libraries as the README section "CUDA" says, or use --device cpu$/,
      ),
    ]);
    expect(existsSync(out)).toBe(false);
  }, 90_000);
});

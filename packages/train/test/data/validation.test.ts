import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { writeNifti } from '@mcsc/infer';
import { loadAcdc, readAcdcSlice } from '../../src/data/acdc';
import { readH5Arrays } from '../../src/data/h5';
import { parseJsonText, readJsonFile } from '../../src/data/json-file';
import { readList } from '../../src/data/lists';
import { buildNiftiDataset, loadNiftiDataset } from '../../src/data/nifti-dataset';
import { parseNpz } from '../../src/data/npy';
import { readModelConfig } from '../../src/models/model-config';
import { npyBytes, tempDir, writeH5 } from './helpers';

const dir = tempDir('validation');
const unix = process.platform === 'win32' ? test.skip : test;

describe('readJsonFile: the one JSON reader for configs', () => {
  const write = (name: string, text: string | Uint8Array) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  test('a valid file, BOM included', () => {
    expect(readJsonFile(write('ok.json', '\ufeff{"a": [1, {"b": null}]}'), 'config')).toEqual({ a: [1, { b: null }] });
  });
  test.each([
    [
      'deep nesting',
      () => write('deep.json', `${'['.repeat(100000)}${']'.repeat(100000)}`),
      /^config .*deep\.json: JSON nested deeper than 64 levels \(line 1, column 65\)/,
    ],
    [
      'a __proto__ key',
      () => write('proto.json', '{"groups": {"__proto__": {"polluted": true}}}'),
      /^config .*proto\.json: key "__proto__" in groups is not allowed/,
    ],
    ['a constructor key', () => write('ctor.json', '{"cases": [{"constructor": 1}]}'), /key "constructor" in cases\.0 is not allowed/],
    ['invalid JSON', () => write('bad.json', '{"a": }'), /^config .*bad\.json: invalid JSON: [^\n]+$/],
    [
      'invalid UTF-8',
      () => write('latin1.json', Uint8Array.of(0x7b, 0x22, 0xe9, 0x22, 0x7d)),
      /latin1\.json: cannot read: not valid UTF-8 text/,
    ],
    [
      'a file over the size limit',
      () => write('big.json', `[${'0,'.repeat(20)}0]`),
      /big\.json: cannot read: 43 bytes is more than the limit of 10 bytes/,
    ],
    ['a directory', () => dir, /cannot read: it is a directory, expected a regular JSON file/],
    ['a character device', () => '/dev/zero', /\/dev\/zero: cannot read: it is a character device/],
  ])('%s is one error naming the file', (name, path, message) => {
    const limits = name === 'a file over the size limit' ? { maxBytes: 10 } : {};
    expect(() => readJsonFile(path(), 'config', limits)).toThrow(message);
  });
  unix('a FIFO is refused without blocking', () => {
    const fifo = join(dir, 'pipe.json');
    execFileSync('mkfifo', [fifo]);
    expect(() => readJsonFile(fifo, 'config')).toThrow(
      `config ${fifo}: cannot read: it is a FIFO (named pipe), expected a regular JSON file`,
    );
  });
  test('parseJsonText takes the same limits', () => {
    expect(() => parseJsonText('{"a": {"b": 1}}', 'x', { maxDepth: 1 })).toThrow('x: JSON nested deeper than 1 levels');
    expect(() => parseJsonText('{"a": "[[[[["}', 'x', { maxDepth: 1 })).not.toThrow();
  });
  test('readModelConfig uses it', () => {
    const path = write('model.json', '{"arch": "unet", "__proto__": {"numClasses": 9}}');
    expect(() => readModelConfig(path)).toThrow(`model config ${path}: key "__proto__" is not allowed`);
  });
});

describe('paths stay inside the data folder', () => {
  const root = join(dir, 'acdc');
  const outside = join(dir, 'outside');
  beforeAll(async () => {
    mkdirSync(join(root, 'data', 'slices'), { recursive: true });
    mkdirSync(outside, { recursive: true });
    const slice = { image: { data: new Float32Array(4).fill(0.5), shape: [2, 2] }, label: { data: new Uint8Array(4), shape: [2, 2] } };
    await writeH5(join(root, 'data', 'slices', 'a_slice_0.h5'), slice);
    await writeH5(join(outside, 'secret.h5'), slice);
    writeFileSync(join(root, 'val.list'), 'x\n');
    writeFileSync(join(root, 'test.list'), 'x\n');
  });
  const entry = async (name: string) => {
    writeFileSync(join(root, 'train_slices.list'), `a_slice_0\n${name}\n`);
    return loadAcdc(root, { volumes: false });
  };
  test('an ACDC list entry with ..', async () => {
    await expect(entry('../../../outside/secret')).rejects.toThrow(
      /^list file .*train_slices\.list: entry "\.\.\/\.\.\/\.\.\/outside\/secret" resolves to .*outside\/secret\.h5, outside the data folder .*acdc; expected a path inside the data folder \(allowOutsideRoot lifts this\)$/,
    );
  });
  test('an absolute ACDC list entry stays a name under the data folder', async () => {
    await expect(entry(join(outside, 'secret'))).rejects.toThrow(
      /ACDC slice .*acdc\/data\/slices\/.*outside\/secret\.h5: cannot open: ENOENT/,
    );
  });
  unix('a symlink out of the data folder', async () => {
    symlinkSync(join(outside, 'secret.h5'), join(root, 'data', 'slices', 'link.h5'));
    await expect(entry('link')).rejects.toThrow(/entry "link" is a symlink to .*outside\/secret\.h5, outside the data folder/);
  });
  test('allowOutsideRoot lets them through', async () => {
    writeFileSync(join(root, 'train_slices.list'), 'a_slice_0\n../../../outside/secret\n');
    expect((await loadAcdc(root, { volumes: false, allowOutsideRoot: true })).train).toHaveLength(2);
  });
  unix('a FIFO list file is refused, not waited on', async () => {
    const fifo = join(dir, 'train_slices.list');
    execFileSync('mkfifo', [fifo]);
    await expect(readList(fifo)).rejects.toThrow(
      `list file ${fifo}: cannot read: it is a FIFO (named pipe), expected a text file, one name a line`,
    );
  });
});

describe('images finite, labels class indices: errors name the file, position and value', () => {
  test('a NaN in an ACDC image', async () => {
    const path = join(dir, 'nan.h5');
    await writeH5(path, {
      image: { data: Float32Array.from([0, 1, NaN, 0.5, 0, 0]), shape: [2, 3] },
      label: { data: new Uint8Array(6), shape: [2, 3] },
    });
    await expect(readAcdcSlice(path, 'nan')).rejects.toThrow(
      `ACDC slice ${path}: dataset 'image': value NaN at y 0, x 2 is not finite, expected finite numbers`,
    );
  });

  const nifti = join(dir, 'nifti');
  const config = (cases: { image: string; label: string }[]) => ({
    groups: { 1: [1], 2: [2] },
    intensity: 'none',
    axis: 2,
    cases: cases.map((c, i) => ({ id: `c${i}`, split: 'train', ...c })),
  });
  beforeAll(async () => {
    mkdirSync(join(nifti, 'data'), { recursive: true });
    const image = Float32Array.from({ length: 4 * 3 * 2 }, (_, i) => i);
    await writeNifti(join(nifti, 'data', 'img.nii'), image, { dims: [4, 3, 2] });
    await writeNifti(join(nifti, 'data', 'seg.nii'), new Uint8Array(24).fill(1), { dims: [4, 3, 2] });
    const fractional = new Float32Array(24).fill(1);
    fractional[2 + 4 * (1 + 3 * 1)] = 1.5;
    await writeNifti(join(nifti, 'data', 'frac.nii'), fractional, { dims: [4, 3, 2] });
    const nan = image.slice();
    nan[1 + 4 * (2 + 3 * 0)] = NaN;
    await writeNifti(join(nifti, 'data', 'nan.nii'), nan, { dims: [4, 3, 2] });
    await writeNifti(join(dir, 'elsewhere.nii'), image, { dims: [4, 3, 2] });
  });
  test('a NIfTI data set with float label values', async () => {
    await expect(buildNiftiDataset(config([{ image: 'data/img.nii', label: 'data/frac.nii' }]), nifti)).rejects.toThrow(
      /NIfTI file .*frac\.nii: label value 1\.5 at voxel \(2, 1, 1\) \(slice 1 along axis 2\) is not a whole number, expected integer atlas values/,
    );
  });
  test('a NIfTI data set with a NaN voxel', async () => {
    await expect(buildNiftiDataset(config([{ image: 'data/nan.nii', label: 'data/seg.nii' }]), nifti)).rejects.toThrow(
      /NIfTI file .*nan\.nii: image value NaN at voxel \(1, 2, 0\) \(slice 0 along axis 2\) is not finite/,
    );
  });
  test('NIfTI data-set paths outside the root, absolute or relative', async () => {
    await expect(
      buildNiftiDataset(config([{ image: '../elsewhere.nii', label: 'data/seg.nii' }]), nifti, { source: 't.json' }),
    ).rejects.toThrow(
      /^NIfTI dataset config t\.json: case "c0" image "\.\.\/elsewhere\.nii" resolves to .*elsewhere\.nii, outside the data folder/,
    );
    await expect(buildNiftiDataset(config([{ image: join(dir, 'elsewhere.nii'), label: 'data/seg.nii' }]), nifti)).rejects.toThrow(
      /outside the data folder/,
    );
    expect(
      (await buildNiftiDataset(config([{ image: '../elsewhere.nii', label: 'data/seg.nii' }]), nifti, { allowOutsideRoot: true })).train,
    ).toHaveLength(2);
  });
  test('loadNiftiDataset reads its config with the safe reader', async () => {
    const path = join(nifti, 'task.json');
    writeFileSync(path, '{"groups": {"1": [1]}, "cases": [], "__proto__": {}}');
    await expect(loadNiftiDataset(path)).rejects.toThrow(`NIfTI dataset config ${path}: key "__proto__" is not allowed`);
  });
});

describe('HDF5: one line, and no dataset larger than its file', () => {
  test("a truncated file is one line with the library's cause", async () => {
    const good = join(dir, 'good.h5');
    await writeH5(good, { image: { data: new Float32Array(64), shape: [8, 8] }, label: { data: new Uint8Array(64), shape: [8, 8] } });
    const cut = join(dir, 'cut.h5');
    writeFileSync(cut, readFileSync(good).subarray(0, 600));
    const error = await readH5Arrays(cut, ['image'], 'ACDC slice').catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      /^ACDC slice .*cut\.h5: the HDF5 library cannot open it \(corrupt or truncated file\?\): truncated file: eof = 600, .*$/,
    );
    expect((error as Error).message).not.toContain('\n');
  });
  test('a dataset whose declared size the file cannot hold is refused before it is read', async () => {
    const h5wasm = (await import('h5wasm/node')).default;
    await h5wasm.ready;
    const path = join(dir, 'huge.h5');
    const f = new h5wasm.File(path, 'w');
    const ds = f.create_dataset({ name: 'image', data: new Float32Array(1), shape: [1, 1], maxshape: [null, null], chunks: [1, 1] });
    ds.resize([100000, 100000]);
    f.close();
    await expect(readH5Arrays(path, ['image'], 'ACDC slice')).rejects.toThrow(
      /ACDC slice .*huge\.h5: dataset 'image' declares shape \[100000, 100000\] of 4-byte values \(40000000000 bytes\), more than the limit of 2147483648 bytes/,
    );
  });
});

describe('.npz: declared sizes and CRC-32 are checked', () => {
  const member = () => npyBytes('<f4', [2, 2], Float32Array.from([1, 2, 3, 4]));
  test('a damaged stored member fails its CRC', () => {
    const stored = member();
    const zip = zipSync({ 'image.npy': [stored, { level: 0 }] });
    // the last byte of the stored member (of 4.0f = 00 00 80 40), found by content: a single byte value
    // could also sit in the local header's modification time, which depends on when the test runs
    const start = zip.findIndex((_, i) => stored.every((b, k) => zip[i + k] === b));
    expect(start).toBeGreaterThan(0);
    zip[start + stored.length - 1]! ^= 0x01;
    expect(() => parseNpz(zip, 'Synapse slice s.npz')).toThrow(
      /Synapse slice s\.npz: member 'image\.npy': CRC-32 is 0x[0-9a-f]{8}, but the archive records 0x[0-9a-f]{8} \(damaged data\)/,
    );
  });
  test('a declared size beyond what the compressed bytes can hold is refused before inflating', () => {
    const zip = zipSync({ 'image.npy': member() });
    const view = new DataView(zip.buffer);
    const cd = zip.length - 22 - (46 + 'image.npy'.length);
    view.setUint32(cd + 24, 0x7fffffff, true); // central directory: uncompressed size
    expect(() => parseNpz(zip, 's.npz')).toThrow(
      /s\.npz: member 'image\.npy': declares 2147483647 bytes from \d+ compressed bytes, more than they can hold/,
    );
  });
});

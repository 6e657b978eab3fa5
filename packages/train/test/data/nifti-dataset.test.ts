import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNifti } from '@mcsc/infer';
import { buildNiftiDataset, loadNiftiDataset, niftiDatasetConfigSchema } from '../../src/data/nifti-dataset';
import { selectLabeled } from '../../src/data/labeled';
import { tempDir } from './helpers';

const dir = tempDir('nifti-ds');
const [X, Y, Z] = [6, 5, 4];
/** Voxel (i, j, k) of the image holds 100·i + 10·j + k; the atlas holds a code derived from it. */
const value = (i: number, j: number, k: number) => 100 * i + 10 * j + k;
const atlas = (i: number, j: number, k: number) => [0, 7, 12, 13, 40, 2001][(i + j + k) % 6]!;

beforeAll(async () => {
  const image = new Float32Array(X * Y * Z);
  const label = new Int16Array(X * Y * Z);
  for (let k = 0; k < Z; k++)
    for (let j = 0; j < Y; j++)
      for (let i = 0; i < X; i++) {
        image[i + X * (j + Y * k)] = value(i, j, k);
        label[i + X * (j + Y * k)] = atlas(i, j, k);
      }
  const affine = [
    [2, 0, 0, -10],
    [0, 3, 0, 5],
    [0, 0, 4, 1],
    [0, 0, 0, 1],
  ];
  for (const c of ['a', 'b', 'c']) {
    await writeNifti(join(dir, `${c}.nii.gz`), image, { dims: [X, Y, Z], affine });
    await writeNifti(join(dir, `${c}_seg.nii`), label, { dims: [X, Y, Z], affine });
  }
  await writeNifti(join(dir, 'small_seg.nii'), new Uint8Array(X * Y * 3), { dims: [X, Y, 3], affine });
  await writeNifti(join(dir, 'moved_seg.nii'), label, {
    dims: [X, Y, Z],
    affine: [
      [2, 0, 0, 0],
      [0, 3, 0, 5],
      [0, 0, 4, 1],
      [0, 0, 0, 1],
    ],
  });
});

/** atlas codes 7 and 12 → class 1, 2001 → class 2; 13 and 40 → background. */
const GROUPS = { 1: [7, 12], 2: [2001] };
const expectedClass = (i: number, j: number, k: number) => {
  const a = atlas(i, j, k);
  return a === 7 || a === 12 ? 1 : a === 2001 ? 2 : 0;
};

function config(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'toy',
    groups: GROUPS,
    intensity: 'none',
    cases: [
      { id: 'a', image: 'a.nii.gz', label: 'a_seg.nii', split: 'train' },
      { id: 'b', image: 'b.nii.gz', label: 'b_seg.nii', split: 'val' },
      { id: 'c', image: 'c.nii.gz', label: 'c_seg.nii', split: 'test' },
    ],
    ...extra,
  };
}

describe.each([
  // axis, [D, H, W], voxel (i, j, k) of output (z, y, x), spacing
  [2, [Z, Y, X], (z: number, y: number, x: number) => [x, y, z], [4, 3, 2]],
  [0, [X, Z, Y], (z: number, y: number, x: number) => [z, x, y], [2, 4, 3]],
  [1, [Y, Z, X], (z: number, y: number, x: number) => [x, z, y], [3, 4, 2]],
] as const)('slicing along axis %i', (axis, shape, voxel, spacing) => {
  test('volumes, slices, groups and spacing', async () => {
    const ds = await buildNiftiDataset(config({ axis }), dir);
    expect(ds.numClasses).toBe(3);
    expect(ds.classNames).toEqual(['background', 'class 1', 'class 2']);
    const v = ds.test[0]!;
    expect(v.shape).toEqual(shape);
    expect(v.spacing).toEqual(spacing);
    const [d, h, w] = shape;
    let bad = 0;
    for (let z = 0; z < d; z++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const [i, j, k] = voxel(z, y, x) as [number, number, number];
          const o = (z * h + y) * w + x;
          if (v.image[o] !== value(i, j, k) || v.label[o] !== expectedClass(i, j, k)) bad++;
        }
    expect(bad).toBe(0);
    expect(ds.train).toHaveLength(d);
    expect(ds.train[1]!.id).toBe('a_slice_1');
    expect(ds.train.every((s) => s.caseId === 'a' && s.height === h && s.width === w)).toBe(true);
    expect(ds.val.map((x) => x.caseId)).toEqual(['b']);
  });
});

test('ranges cut slabs; one file can serve several cases; minmax spans the whole file', async () => {
  const ds = await buildNiftiDataset(
    {
      groups: GROUPS,
      axis: 2,
      cases: [
        { id: 'low', image: 'a.nii.gz', label: 'a_seg.nii', split: 'train', range: [0, 2] },
        { id: 'high', image: 'a.nii.gz', label: 'a_seg.nii', split: 'train', range: [2, 4] },
        { id: 't', image: 'a.nii.gz', label: 'a_seg.nii', split: 'test', range: [3, 4] },
      ],
    },
    dir,
  );
  expect(ds.train.map((s) => s.id)).toEqual(['low_slice_0', 'low_slice_1', 'high_slice_0', 'high_slice_1']);
  expect(selectLabeled(ds.train, { patients: 1 }).labeled).toEqual([0, 1]);
  const max = value(X - 1, Y - 1, Z - 1);
  expect(ds.test[0]!.shape).toEqual([1, Y, X]);
  expect(ds.test[0]!.image[0]).toBeCloseTo(value(0, 0, 3) / max, 6);
  expect(ds.train[0]!.image[0]).toBe(0);
});

test('a drawn split by volume is deterministic', async () => {
  const cases = ['a', 'b', 'c'].map((c) => ({ id: c, image: `${c}.nii.gz`, label: `${c}_seg.nii` }));
  const one = await buildNiftiDataset({ groups: GROUPS, cases, split: { val: 1, test: 1, seed: 3 } }, dir);
  const two = await buildNiftiDataset({ groups: GROUPS, cases, split: { val: 1, test: 1, seed: 3 } }, dir);
  expect(one.val.map((v) => v.caseId)).toEqual(two.val.map((v) => v.caseId));
  const ids = [...new Set(one.train.map((s) => s.caseId)), one.val[0]!.caseId, one.test[0]!.caseId];
  expect(ids.sort()).toEqual(['a', 'b', 'c']);
});

test('a config file, with root relative to it and overridable', async () => {
  const path = join(dir, 'task.json');
  writeFileSync(path, JSON.stringify(config({ root: '.' })));
  expect((await loadNiftiDataset(path)).test).toHaveLength(1);
  writeFileSync(join(dir, 'elsewhere.json'), JSON.stringify(config({ root: '/nonexistent' })));
  expect((await loadNiftiDataset(join(dir, 'elsewhere.json'), { root: dir })).val).toHaveLength(1);
});

test('the shipped AAL example config is valid', () => {
  const text = readFileSync(join(__dirname, '../../../../examples/nifti-aal/config.json'), 'utf8');
  const parsed = niftiDatasetConfigSchema.parse(JSON.parse(text));
  expect(Object.keys(parsed.groups)).toEqual(['1', '2', '3']);
  expect(parsed.classNames).toHaveLength(4);
  expect(parsed.cases.map((c) => c.split)).toEqual(['train', 'train', 'train', 'val', 'test']);
});

describe('errors name the file and what was expected', () => {
  const CASES: [string, Record<string, unknown>, RegExp][] = [
    ['groups not numbered 1 … K−1', { groups: { 1: [7], 3: [12] } }, /groups must be numbered 1 … 2, got keys \[1,3\]/],
    ['a value in two groups', { groups: { 1: [7, 12], 2: [12] } }, /atlas value 12 is in groups 1 and 2/],
    ['wrong number of class names', { classNames: ['bg', 'x'] }, /classNames has 2 names, expected 3/],
    ['an unknown field', { slices: 3 }, /\(root\): Unrecognized key/],
    ['a bad axis', { axis: 3 }, /axis:/],
  ];
  test.each(CASES)('%s', async (_, extra, message) => {
    await expect(buildNiftiDataset(config(extra), dir, { source: 'task.json' })).rejects.toThrow(message);
    await expect(buildNiftiDataset(config(extra), dir, { source: 'task.json' })).rejects.toThrow(/^NIfTI dataset config task\.json: /);
  });
  test('label grid differs from the image', async () => {
    const cfg = config({ cases: [{ id: 'a', image: 'a.nii.gz', label: 'small_seg.nii', split: 'train' }] });
    await expect(buildNiftiDataset(cfg, dir)).rejects.toThrow(
      /small_seg\.nii: label dims \[6, 5, 3\] do not match image .*a\.nii\.gz dims \[6, 5, 4\]/,
    );
    const moved = config({ cases: [{ id: 'a', image: 'a.nii.gz', label: 'moved_seg.nii', split: 'train' }] });
    await expect(buildNiftiDataset(moved, dir)).rejects.toThrow(/moved_seg\.nii: label affine .* differs from image .*a\.nii\.gz affine/);
  });
  test('a range outside the volume', async () => {
    const cfg = config({ axis: 2, cases: [{ id: 'a', image: 'a.nii.gz', label: 'a_seg.nii', split: 'train', range: [2, 9] }] });
    await expect(buildNiftiDataset(cfg, dir)).rejects.toThrow(/case "a" \(.*a\.nii\.gz\): range \[2, 9\) is not inside axis 2 of size 4/);
  });
  test('a file that is not NIfTI', async () => {
    writeFileSync(join(dir, 'notes.nii'), 'x'.repeat(400));
    const cfg = config({ cases: [{ id: 'a', image: 'notes.nii', label: 'a_seg.nii', split: 'train' }] });
    await expect(buildNiftiDataset(cfg, dir)).rejects.toThrow(
      /NIfTI file .*notes\.nii: not a NIfTI-1 file: sizeof_hdr is 2021161080 and magic is "xxxx"/,
    );
  });
  test('missing splits and invalid JSON', async () => {
    const cfg = config({ cases: [{ id: 'a', image: 'a.nii.gz', label: 'a_seg.nii' }] });
    await expect(buildNiftiDataset(cfg, dir)).rejects.toThrow(/case "a" has no split/);
    writeFileSync(join(dir, 'broken.json'), '{ "groups": ');
    await expect(loadNiftiDataset(join(dir, 'broken.json'))).rejects.toThrow(/NIfTI dataset config .*broken\.json: invalid JSON/);
  });
});

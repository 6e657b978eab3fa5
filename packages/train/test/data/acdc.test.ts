import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acdcPatientId, loadAcdc, readAcdcSlice, readAcdcVolume } from '../../src/data/acdc';
import { ACDC_PATIENTS_TO_SLICES, acdcLabeledSliceCount, selectLabeled } from '../../src/data/labeled';
import { boxVolume, tempDir, writeH5 } from './helpers';

/** SSL4MIS-style ACDC folder: 3 training patients (patient001 with two frames), one val and one test volume. */
async function writeAcdc(root: string): Promise<void> {
  mkdirSync(join(root, 'data', 'slices'), { recursive: true });
  const slices: string[] = [];
  const cases: [string, number, number, number][] = [
    ['patient001_frame01', 3, 8, 10],
    ['patient001_frame12', 3, 8, 10],
    ['patient002_frame01', 2, 12, 9],
    ['patient003_frame01', 4, 6, 6],
  ];
  for (const [name, d, h, w] of cases) {
    const { image, label } = boxVolume(d, h, w, 4, name.length);
    for (let z = 0; z < d; z++) {
      const slice = `${name}_slice_${z}`;
      slices.push(slice);
      await writeH5(join(root, 'data', 'slices', `${slice}.h5`), {
        image: { data: Float64Array.from(image.subarray(z * h * w, (z + 1) * h * w)), shape: [h, w] },
        label: { data: label.slice(z * h * w, (z + 1) * h * w), shape: [h, w] },
      });
    }
  }
  writeFileSync(join(root, 'train_slices.list'), `${slices.join('\n')}\n`);
  for (const [list, name] of [
    ['val.list', 'patient004_frame01'],
    ['test.list', 'patient005_frame01'],
  ] as const) {
    const { image, label } = boxVolume(5, 7, 8, 4);
    await writeH5(join(root, 'data', `${name}.h5`), { image: { data: image, shape: [5, 7, 8] }, label: { data: label, shape: [5, 7, 8] } });
    writeFileSync(join(root, list), `${name}\n`);
  }
}

const root = tempDir('acdc');
beforeAll(() => writeAcdc(root));

test('loads slices in list order, and the val / test volumes', async () => {
  const ds = await loadAcdc(root);
  expect(ds.numClasses).toBe(4);
  expect(ds.classNames).toEqual(['background', 'RV', 'Myo', 'LV']);
  expect(ds.train.map((s) => s.id).slice(0, 4)).toEqual([
    'patient001_frame01_slice_0',
    'patient001_frame01_slice_1',
    'patient001_frame01_slice_2',
    'patient001_frame12_slice_0',
  ]);
  expect(ds.train).toHaveLength(12);
  expect(ds.train.map((s) => s.caseId)).toEqual([
    ...Array(6).fill('patient001'),
    'patient002',
    'patient002',
    ...Array(4).fill('patient003'),
  ]);
  const s = ds.train[6]!;
  expect([s.height, s.width]).toEqual([12, 9]);
  expect(s.image).toBeInstanceOf(Float32Array);
  const expected = boxVolume(2, 12, 9, 4, 'patient002_frame01'.length);
  expect(Array.from(s.label)).toEqual(Array.from(expected.label.subarray(0, 108)));
  expect(s.image[5]).toBeCloseTo(expected.image[5]!, 6);
  expect(ds.val.map((v) => v.caseId)).toEqual(['patient004_frame01']);
  expect(ds.test[0]!.shape).toEqual([5, 7, 8]);
  expect(Array.from(ds.test[0]!.label)).toEqual(Array.from(boxVolume(5, 7, 8, 4).label));
  expect(ds.test[0]!.spacing).toBeUndefined();
});

test('maxTrainSlices and volumes: false', async () => {
  const ds = await loadAcdc(root, { maxTrainSlices: 5, volumes: false });
  expect(ds.train).toHaveLength(5);
  expect(ds.val).toHaveLength(0);
});

test('labeled subsets: the SSL4MIS table, the first N slices, or whole patients', async () => {
  expect(ACDC_PATIENTS_TO_SLICES).toEqual({ 1: 23, 3: 68, 7: 136, 14: 256, 21: 396, 28: 512, 35: 664, 140: 1312 });
  expect(acdcLabeledSliceCount(7)).toBe(136);
  expect(() => acdcLabeledSliceCount(5)).toThrow(/patients must be one of 1, 3, 7, 14, 21, 28, 35, 140 .* got 5/);
  const ds = await loadAcdc(root, { volumes: false });
  const bySlices = selectLabeled(ds.train, { slices: 7 });
  expect(bySlices.labeled).toEqual([0, 1, 2, 3, 4, 5, 6]);
  expect(bySlices.unlabeled).toEqual([7, 8, 9, 10, 11]);
  expect(bySlices.labeledCases).toEqual(['patient001', 'patient002']);
  const byPatients = selectLabeled(ds.train, { patients: 2 });
  expect(byPatients.labeled).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  expect(selectLabeled(ds.train, { cases: ['patient003'] }).labeled).toEqual([8, 9, 10, 11]);
  expect(() => selectLabeled(ds.train, { slices: 13 })).toThrow(/slices must be an integer in 0 … 12/);
  expect(() => selectLabeled(ds.train, { patients: 4 })).toThrow(/patients must be an integer in 0 … 3/);
  expect(() => selectLabeled(ds.train, { cases: ['patient009'] })).toThrow(/\["patient009"\] are not training cases/);
});

test('patient ids of SSL4MIS names', () => {
  expect(acdcPatientId('patient001_frame01_slice_3')).toBe('patient001');
  expect(acdcPatientId('patient100_frame13')).toBe('patient100');
});

describe('corrupt or mismatched files name the file', () => {
  const dir = tempDir('acdc-bad');

  test('not an HDF5 file', async () => {
    const path = join(dir, 'text.h5');
    writeFileSync(path, 'image,label\n1,2\n');
    await expect(readAcdcSlice(path, 'text')).rejects.toThrow(
      `ACDC slice ${path}: not an HDF5 file (no HDF5 signature; the file starts with "image,la"`,
    );
  });
  test('a truncated HDF5 file', async () => {
    const good = join(root, 'data', 'patient004_frame01.h5');
    const path = join(dir, 'truncated.h5');
    writeFileSync(path, readFileSync(good).subarray(0, 600));
    await expect(readAcdcVolume(path, 'truncated')).rejects.toThrow(
      `ACDC volume ${path}: the HDF5 library cannot open it (corrupt or truncated file?)`,
    );
  });
  test('a missing dataset', async () => {
    const path = join(dir, 'nolabel.h5');
    await writeH5(path, { image: { data: new Float32Array(4), shape: [2, 2] }, scribble: { data: new Uint8Array(4), shape: [2, 2] } });
    await expect(readAcdcSlice(path, 'nolabel')).rejects.toThrow(
      `ACDC slice ${path}: dataset 'label' is missing (the file has: image, scribble)`,
    );
  });
  test('label shape differs from the image', async () => {
    const path = join(dir, 'shape.h5');
    await writeH5(path, {
      image: { data: new Float32Array(256 * 216), shape: [256, 216] },
      label: { data: new Uint8Array(12), shape: [3, 4] },
    });
    await expect(readAcdcSlice(path, 'shape')).rejects.toThrow(
      `ACDC slice ${path}: dataset 'label' has shape [3, 4], expected 2-D [H, W] matching 'image' [256, 216]`,
    );
  });
  test('a slice where a volume is expected', async () => {
    const path = join(dir, 'flat.h5');
    await writeH5(path, { image: { data: new Float32Array(4), shape: [2, 2] }, label: { data: new Uint8Array(4), shape: [2, 2] } });
    await expect(readAcdcVolume(path, 'flat')).rejects.toThrow(
      `ACDC volume ${path}: dataset 'image' has shape [2, 2], expected 3-D [D, H, W]`,
    );
  });
  test('a label value outside the 4 ACDC classes', async () => {
    const path = join(dir, 'range.h5');
    await writeH5(path, {
      image: { data: new Float32Array(4), shape: [2, 2] },
      label: { data: Uint8Array.from([0, 1, 7, 2]), shape: [2, 2] },
    });
    await expect(readAcdcSlice(path, 'range')).rejects.toThrow(
      `ACDC slice ${path}: dataset 'label': label value 7 at y 1, x 0 is out of range, expected 0 … 3`,
    );
  });
  test('a missing slice file and a missing list', async () => {
    await expect(readAcdcSlice(join(dir, 'absent.h5'), 'absent')).rejects.toThrow(/ACDC slice .*absent\.h5: cannot open/);
    await expect(loadAcdc(dir)).rejects.toThrow(/list file .*train_slices\.list: cannot read/);
  });
});

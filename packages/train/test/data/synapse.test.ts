import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { loadSynapse, readSynapseSlice, readSynapseVolume, synapseCaseId } from '../../src/data/synapse';
import { selectLabeled } from '../../src/data/labeled';
import { boxVolume, npyBytes, tempDir, writeH5 } from './helpers';

const H = 6;
const W = 5;

/** npz bytes with a float32 `image` and a `label` (float32 unless `labelDescr` says otherwise). */
function npz(imageShape: number[], image: Float32Array, labelShape: number[], label: ArrayBufferView, labelDescr = '<f4'): Uint8Array {
  return zipSync({ 'image.npy': npyBytes('<f4', imageShape, image), 'label.npy': npyBytes(labelDescr, labelShape, label) });
}

/** A slice npz as TransUNet stores it: float32 image and float32 label. */
function sliceNpz(seed: number): Uint8Array {
  const { image, label } = boxVolume(1, H, W, 9, seed);
  return npz([H, W], image, [H, W], Float32Array.from(label));
}

async function writeSynapse(root: string): Promise<void> {
  mkdirSync(join(root, 'train_npz'), { recursive: true });
  mkdirSync(join(root, 'test_vol_h5'), { recursive: true });
  const names = ['case0005_slice000', 'case0005_slice001', 'case0006_slice000', 'case0007_slice000', 'case0007_slice001'];
  names.forEach((n, i) => writeFileSync(join(root, 'train_npz', `${n}.npz`), sliceNpz(i)));
  for (const c of ['case0001', 'case0002', 'case0003']) {
    const { image, label } = boxVolume(3, H, W, 9, Number(c.slice(-1)));
    await writeH5(join(root, 'test_vol_h5', `${c}.npy.h5`), {
      image: { data: image, shape: [3, H, W] },
      label: { data: Float32Array.from(label), shape: [3, H, W] },
    });
  }
  mkdirSync(join(root, 'lists'));
  writeFileSync(join(root, 'lists', 'train.txt'), 'case0007_slice001\ncase0005_slice000\n');
  writeFileSync(join(root, 'lists', 'test_vol.txt'), 'case0003\ncase0001\n');
}

const root = tempDir('synapse');
beforeAll(() => writeSynapse(root));

test('lists the folders when no list folder is given', async () => {
  const ds = await loadSynapse(root, { valCases: ['case0002'] });
  // The boxes hold labels 0 … 5 only, not the layout's 9 classes: K comes from the labels (test/data/classes.test.ts).
  expect(ds.numClasses).toBe(6);
  expect(ds.classSource).toBe('labels');
  expect(ds.train.map((s) => s.id)).toEqual([
    'case0005_slice000',
    'case0005_slice001',
    'case0006_slice000',
    'case0007_slice000',
    'case0007_slice001',
  ]);
  expect(ds.train.map((s) => s.caseId)).toEqual(['case0005', 'case0005', 'case0006', 'case0007', 'case0007']);
  const s = ds.train[3]!;
  expect([s.height, s.width]).toEqual([H, W]);
  expect(s.label).toBeInstanceOf(Uint8Array);
  expect(Array.from(s.label)).toEqual(Array.from(boxVolume(1, H, W, 9, 3).label));
  expect(ds.val.map((v) => v.caseId)).toEqual(['case0002']);
  expect(ds.test.map((v) => v.caseId)).toEqual(['case0001', 'case0003']);
  expect(ds.test[1]!.shape).toEqual([3, H, W]);
  expect(Array.from(ds.test[1]!.label)).toEqual(Array.from(boxVolume(3, H, W, 9, 3).label));
  expect(selectLabeled(ds.train, { patients: 1 }).labeled).toEqual([0, 1]);
});

test('TransUNet list files choose and order the cases', async () => {
  const ds = await loadSynapse(root, { listDir: join(root, 'lists') });
  expect(ds.train.map((s) => s.id)).toEqual(['case0007_slice001', 'case0005_slice000']);
  expect(ds.test.map((v) => v.caseId)).toEqual(['case0003', 'case0001']);
  await expect(loadSynapse(root, { valCases: ['case0009'] })).rejects.toThrow(/valCases \["case0009"\] are not test volumes/);
});

test('case ids', () => {
  expect(synapseCaseId('case0040_slice123')).toBe('case0040');
});

describe('corrupt or mismatched files name the file', () => {
  const dir = tempDir('synapse-bad');
  const write = (name: string, bytes: Uint8Array) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  test('a corrupt npz', async () => {
    const path = write('corrupt.npz', sliceNpz(1).subarray(0, 40));
    await expect(readSynapseSlice(path, 'corrupt')).rejects.toThrow(`Synapse slice ${path}: not a readable .npz (zip) archive`);
  });
  test('a missing member', async () => {
    const path = write('nolabel.npz', zipSync({ 'image.npy': npyBytes('<f4', [2, 2], new Float32Array(4)) }));
    await expect(readSynapseSlice(path, 'nolabel')).rejects.toThrow(
      `Synapse slice ${path}: array 'label' is missing (the archive has: image)`,
    );
  });
  test('label shape differs from the image', async () => {
    const path = write('shape.npz', npz([512, 512], new Float32Array(512 * 512), [512, 511], new Float32Array(512 * 511)));
    await expect(readSynapseSlice(path, 'shape')).rejects.toThrow(
      `Synapse slice ${path}: array 'label' has shape [512, 511], expected 2-D [H, W] matching 'image' [512, 512]`,
    );
  });
  test('a fractional label', async () => {
    const path = write('frac.npz', npz([2], new Float32Array(2), [2], Float32Array.from([1, 2.5])));
    await expect(readSynapseSlice(path, 'frac')).rejects.toThrow(`Synapse slice ${path}: array 'image' has shape [2], expected 2-D [H, W]`);
    const path2 = write('frac2.npz', npz([1, 2], new Float32Array(2), [1, 2], Float32Array.from([1, 2.5])));
    await expect(readSynapseSlice(path2, 'frac2')).rejects.toThrow(
      `Synapse slice ${path2}: array 'label': label value 2.5 at y 0, x 1 is not a class index, expected integers 0 … 255`,
    );
  });
  test('a class index beyond the 8 organs', async () => {
    const path = write('k.npz', npz([1, 2], new Float32Array(2), [1, 2], Uint8Array.from([9, 0]), '|u1'));
    await expect(readSynapseSlice(path, 'k')).rejects.toThrow(
      `Synapse slice ${path}: array 'label': label value 9 at y 0, x 0 is out of range, expected 0 … 8`,
    );
  });
  test('a volume that is not HDF5, and one with mismatched datasets', async () => {
    const path = write('case0001.npy.h5', sliceNpz(1));
    await expect(readSynapseVolume(path, 'case0001')).rejects.toThrow(
      `Synapse volume ${path}: not an HDF5 file (no HDF5 signature; the file starts with "PK`,
    );
    const mismatched = join(dir, 'case0002.npy.h5');
    await writeH5(mismatched, {
      image: { data: new Float32Array(24), shape: [2, 3, 4] },
      label: { data: new Float32Array(24), shape: [2, 4, 3] },
    });
    await expect(readSynapseVolume(mismatched, 'case0002')).rejects.toThrow(
      `Synapse volume ${mismatched}: dataset 'label' has shape [2, 4, 3], expected 3-D [D, H, W] matching 'image' [2, 3, 4]`,
    );
  });
  test('an empty folder', async () => {
    mkdirSync(join(dir, 'empty', 'train_npz'), { recursive: true });
    await expect(loadSynapse(join(dir, 'empty'))).rejects.toThrow(/Synapse folder .*train_npz: holds no \*\.npz files/);
  });
});

/**
 * Small data folders in the SSL4MIS ACDC and TransUNet Synapse layouts, written in-process, with any
 * number of classes (the class tests, the validation top-up tests).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { boxVolume, npyBytes, writeH5 } from './helpers';

export interface AcdcLayout {
  /** Training patients `patient001` …, each with `frames` volumes cut into slices. */
  readonly patients: number;
  /** Labels 0 … classes − 1 (boxes; the last voxel of every volume is the last class). */
  readonly classes: number;
  readonly frames?: number;
  /** Validation volumes `patient1NN_frame01` (default 1). */
  readonly val?: number;
  /** Test volumes `patient2NN_frame01` (default 1). */
  readonly test?: number;
  /** [D, H, W] of every volume (default [3, 8, 6]). */
  readonly shape?: readonly [number, number, number];
  /** Written as `classes.json` when given. */
  readonly classesJson?: unknown;
}

export interface WrittenAcdc {
  readonly slices: string[];
  readonly val: string[];
  readonly test: string[];
}

/** Writes an SSL4MIS ACDC folder: `train_slices.list`, `val.list`, `test.list`, `data/slices/*.h5`, `data/*.h5`. */
export async function writeAcdcLayout(root: string, o: AcdcLayout): Promise<WrittenAcdc> {
  const [d, h, w] = o.shape ?? [3, 8, 6];
  mkdirSync(join(root, 'data', 'slices'), { recursive: true });
  const slices: string[] = [];
  const pad = (i: number) => String(i).padStart(3, '0');
  for (let p = 1; p <= o.patients; p++) {
    for (let f = 1; f <= (o.frames ?? 1); f++) {
      const name = `patient${pad(p)}_frame${String(f).padStart(2, '0')}`;
      const { image, label } = classBoxes(d, h, w, o.classes, p + f);
      for (let z = 0; z < d; z++) {
        const slice = `${name}_slice_${z}`;
        slices.push(slice);
        await writeAcdcSliceFile(
          join(root, 'data', 'slices', `${slice}.h5`),
          image.slice(z * h * w, (z + 1) * h * w),
          label.slice(z * h * w, (z + 1) * h * w),
          [h, w],
        );
      }
    }
  }
  writeFileSync(join(root, 'train_slices.list'), `${slices.join('\n')}\n`);
  const volumes = async (list: string, first: number, n: number) => {
    const names = Array.from({ length: n }, (_, i) => `patient${pad(first + i)}_frame01`);
    for (const [i, name] of names.entries()) {
      const { image, label } = classBoxes(d, h, w, o.classes, i);
      await writeH5(join(root, 'data', `${name}.h5`), {
        image: { data: image, shape: [d, h, w] },
        label: { data: label, shape: [d, h, w] },
      });
    }
    writeFileSync(join(root, list), `${names.join('\n')}\n`);
    return names;
  };
  const val = await volumes('val.list', 101, o.val ?? 1);
  const test = await volumes('test.list', 201, o.test ?? 1);
  if (o.classesJson !== undefined) writeFileSync(join(root, 'classes.json'), JSON.stringify(o.classesJson));
  return { slices, val, test };
}

/** {@link boxVolume} with its last voxel set to the last class, so that every volume reaches it. */
export function classBoxes(d: number, h: number, w: number, classes: number, seed: number): { image: Float32Array; label: Uint8Array } {
  const v = boxVolume(d, h, w, classes, seed);
  v.label[v.label.length - 1] = classes - 1;
  return v;
}

/** One `data/slices/<name>.h5`. */
export function writeAcdcSliceFile(path: string, image: Float32Array, label: Uint8Array, shape: readonly [number, number]): Promise<void> {
  return writeH5(path, { image: { data: image, shape: [...shape] }, label: { data: label, shape: [...shape] } });
}

/** Writes a TransUNet Synapse folder: `train_npz/<case>_sliceNNN.npz` (float32 labels) and `test_vol_h5/<case>.npy.h5`. */
export async function writeSynapseLayout(
  root: string,
  o: { readonly trainCases: number; readonly testCases: number; readonly classes: number; readonly classesJson?: unknown },
): Promise<void> {
  const [d, h, w] = [2, 8, 6] as const;
  mkdirSync(join(root, 'train_npz'), { recursive: true });
  mkdirSync(join(root, 'test_vol_h5'), { recursive: true });
  for (let c = 0; c < o.trainCases; c++) {
    const { image, label } = classBoxes(d, h, w, o.classes, c);
    for (let z = 0; z < d; z++) {
      const at = (a: Float32Array | Uint8Array) => Float32Array.from(a.subarray(z * h * w, (z + 1) * h * w));
      writeFileSync(
        join(root, 'train_npz', `case${String(10 + c).padStart(4, '0')}_slice${String(z).padStart(3, '0')}.npz`),
        zipSync({ 'image.npy': npyBytes('<f4', [h, w], at(image)), 'label.npy': npyBytes('<f4', [h, w], at(label)) }),
      );
    }
  }
  for (let c = 0; c < o.testCases; c++) {
    const { image, label } = classBoxes(d, h, w, o.classes, c);
    await writeH5(join(root, 'test_vol_h5', `case${String(c + 1).padStart(4, '0')}.npy.h5`), {
      image: { data: image, shape: [d, h, w] },
      label: { data: Float32Array.from(label), shape: [d, h, w] },
    });
  }
  if (o.classesJson !== undefined) writeFileSync(join(root, 'classes.json'), JSON.stringify(o.classesJson));
}

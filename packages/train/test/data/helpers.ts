/**
 * Shared fixtures for the data tests: temp folders, hand-written `.npy` bytes, HDF5 files via h5wasm
 * (which, like nifti-reader-js, every test file gets through test/jest-esm-packages.cjs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Loads an ES module with Node's loader, bypassing jest's module registry (vega-modules.ts uses it). */
export function loadNativeEsm(path: string): unknown {
  const nodeModule = require('node:module') as { _load(request: string, parent: null, isMain: boolean): unknown };
  return nodeModule._load(path, null, false);
}

/** A fresh temp folder, removed after the test file. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mcsc-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `.npy` version 1.0 bytes for little-endian data of the given dtype (`<f4`, `|u1`, …). */
export function npyBytes(descr: string, shape: readonly number[], data: ArrayBufferView, fortran = false): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += `${' '.repeat((64 - (total % 64)) % 64)}\n`;
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/** Writes an HDF5 file of named datasets (h5wasm must be mocked in by the calling test file). */
export async function writeH5(
  path: string,
  datasets: Record<string, { data: Float32Array | Float64Array | Uint8Array | Int16Array; shape: number[] }>,
): Promise<void> {
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w');
  try {
    for (const [name, { data, shape }] of Object.entries(datasets)) f.create_dataset({ name, data, shape });
  } finally {
    f.close();
  }
}

/** A [D, H, W] label volume drawn voxel by voxel, `classAt(z, y, x)`, and its image, `intensity(class, z, y, x)`. */
export function drawnVolume(
  [d, h, w]: readonly [number, number, number],
  classAt: (z: number, y: number, x: number) => number,
  intensity: (c: number, z: number, y: number, x: number) => number,
): { image: Float32Array; label: Uint8Array } {
  const label = new Uint8Array(d * h * w);
  const image = new Float32Array(d * h * w);
  for (let z = 0; z < d; z++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (z * h + y) * w + x;
        const c = classAt(z, y, x);
        label[i] = c;
        image[i] = intensity(c, z, y, x);
      }
    }
  }
  return { image, label };
}

/** A [D, H, W] label volume with a few labelled boxes, and a matching float image. */
export function boxVolume(d: number, h: number, w: number, classes: number, seed = 1): { image: Float32Array; label: Uint8Array } {
  return drawnVolume(
    [d, h, w],
    (z, y, x) => (Math.floor((x + z + seed) / 3) + Math.floor(y / 2)) % classes,
    (c, z, y, x) => c * 0.25 + 0.01 * ((x * 7 + y * 3 + z) % 5),
  );
}

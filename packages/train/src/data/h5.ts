/**
 * Reading numeric datasets from HDF5 files (SSL4MIS ACDC `.h5`, TransUNet Synapse `.npy.h5`) with h5wasm,
 * the HDF5 C library compiled to WebAssembly (its Node build reads the real file system).
 */
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SourceArray } from './convert.js';

type H5wasm = (typeof import('h5wasm/node'))['default'];
let h5wasmModule: Promise<H5wasm> | undefined;

/**
 * h5wasm ships as an ES module only (its exports map has no `require`): a dynamic import() loads it
 * from both builds of this package, ESM and CJS, and only when an HDF5 file is first read.
 */
function loadH5wasm(): Promise<H5wasm> {
  h5wasmModule ??= import('h5wasm/node').then(async (m) => {
    await m.default.ready;
    return m.default;
  });
  return h5wasmModule;
}

/** One dataset's values (row-major) and shape. */
export interface H5Array {
  readonly shape: readonly number[];
  readonly data: SourceArray;
}

/** HDF5 format signature; the superblock sits at byte 0 or after a user block of 512·2ᵏ bytes. */
const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Reads the named datasets of an HDF5 file. `what` names the kind of file in errors
 * (`ACDC slice /x/data/slices/a.h5: dataset 'label' is missing (the file has: image)`).
 */
export async function readH5Arrays(path: string, names: readonly string[], what: string): Promise<Record<string, H5Array>> {
  const where = `${what} ${path}`;
  await checkSignature(path, where);
  const h5wasm = await loadH5wasm();
  let file: InstanceType<typeof h5wasm.File> | undefined;
  try {
    file = new h5wasm.File(resolve(path), 'r');
  } catch (e) {
    throw new Error(`${where}: the HDF5 library cannot open it (corrupt or truncated file?): ${(e as Error).message}`);
  }
  if (file.file_id < 0n) throw new Error(`${where}: the HDF5 library cannot open it (corrupt or truncated file?)`);
  try {
    const out: Record<string, H5Array> = {};
    for (const name of names) {
      let entity: ReturnType<typeof file.get>;
      try {
        entity = file.get(name);
      } catch (e) {
        throw new Error(`${where}: dataset '${name}' cannot be read (corrupt file?): ${(e as Error).message}`);
      }
      if (!(entity instanceof h5wasm.Dataset)) {
        const found = file.keys().join(', ') || 'nothing';
        throw new Error(`${where}: dataset '${name}' is ${entity === null ? 'missing' : `a ${entity.constructor.name}, not a dataset`} (the file has: ${found})`);
      }
      let value: unknown;
      try {
        value = entity.value;
      } catch (e) {
        throw new Error(`${where}: dataset '${name}' cannot be read (corrupt file?): ${(e as Error).message}`);
      }
      if (!ArrayBuffer.isView(value) || value instanceof DataView || value instanceof Uint8ClampedArray) {
        throw new Error(`${where}: dataset '${name}' has dtype ${JSON.stringify(entity.dtype)}, expected a numeric array`);
      }
      out[name] = { shape: entity.shape ?? [], data: value as SourceArray };
    }
    return out;
  } finally {
    file.close();
  }
}

async function checkSignature(path: string, where: string): Promise<void> {
  const handle = await open(path, 'r').catch((e: unknown) => {
    throw new Error(`${where}: cannot open: ${(e as Error).message}`);
  });
  try {
    const { size } = await handle.stat();
    const probe = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      await handle.read(probe, 0, 8, at);
      if (SIGNATURE.every((b, i) => probe[i] === b)) return;
      if (at >= 1 << 20) break;
    }
    const head = Buffer.alloc(Math.min(8, size));
    await handle.read(head, 0, head.length, 0);
    throw new Error(`${where}: not an HDF5 file (no HDF5 signature; the file starts with ${JSON.stringify(head.toString('latin1'))}, ${size} bytes)`);
  } finally {
    await handle.close();
  }
}

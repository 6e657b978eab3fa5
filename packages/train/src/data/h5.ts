/**
 * Reading numeric datasets from HDF5 files (SSL4MIS ACDC `.h5`, TransUNet Synapse `.npy.h5`) with h5wasm,
 * the HDF5 C library compiled to WebAssembly (its Node build reads the real file system).
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SourceArray } from './convert.js';
import { failedTo, McscError } from '@mcsc/graph';

type H5wasmModule = typeof import('h5wasm/node');
type H5wasm = H5wasmModule['default'];
interface H5wasmLoaded {
  readonly h5wasm: H5wasm;
  readonly module: H5wasmModule['Module'];
}
let h5wasmModule: Promise<H5wasmLoaded> | undefined;

/**
 * h5wasm ships as an ES module only (its exports map has no `require`): a dynamic import() loads it
 * from both builds of this package, ESM and CJS, and only when an HDF5 file is first read.
 */
function loadH5wasm(): Promise<H5wasmLoaded> {
  h5wasmModule ??= import('h5wasm/node').then(async (m) => {
    await m.default.ready;
    return { h5wasm: m.default, module: m.Module };
  });
  return h5wasmModule;
}

/** Largest dataset read, in bytes (docs/limits.md). */
export const H5_MAX_DATASET_BYTES = 2 ** 31;

/** deflate's best ratio: a compressed dataset cannot hold more than this many bytes per stored byte. */
const MAX_COMPRESSION_RATIO = 1032;

/**
 * libhdf5's error stack as one line: the innermost entry's message (`truncated file: eof = 600, …`),
 * which is the cause; the stack itself (file names and line numbers of the C library) is dropped.
 */
export function hdf5ErrorLine(message: string): string {
  const entries = [...message.matchAll(/#\d+: .*? in [\w.]+\(\): (.*)/g)].map((m) => m[1]!.trim());
  return (
    entries.at(-1) ??
    message
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ??
    message
  );
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
  const fileSize = await checkSignature(path, where);
  const { h5wasm, module } = await loadH5wasm();
  // libhdf5 prints its error stack to stderr by default; this handler turns it into an exception, from
  // which one line is kept. Everything below is synchronous, so no other reader shares the setting.
  module.activate_throwing_error_handler();
  try {
    return readOpen(h5wasm, path, names, where, fileSize);
  } finally {
    module.deactivate_throwing_error_handler();
  }
}

function readOpen(h5wasm: H5wasm, path: string, names: readonly string[], where: string, fileSize: number): Record<string, H5Array> {
  let file: InstanceType<typeof h5wasm.File> | undefined;
  try {
    file = new h5wasm.File(resolve(path), 'r');
  } catch (e) {
    throw new McscError(where, `the HDF5 library cannot open it (corrupt or truncated file?): ${hdf5ErrorLine((e as Error).message)}`);
  }
  if (file.file_id < 0n) throw new McscError(where, 'the HDF5 library cannot open it (corrupt or truncated file?)');
  try {
    const out: Record<string, H5Array> = {};
    for (const name of names) {
      let entity: ReturnType<typeof file.get>;
      try {
        entity = file.get(name);
      } catch (e) {
        throw new McscError(where, `dataset '${name}' cannot be read (corrupt file?): ${hdf5ErrorLine((e as Error).message)}`);
      }
      if (!(entity instanceof h5wasm.Dataset)) {
        const found = file.keys().join(', ') || 'nothing';
        throw new McscError(
          where,
          `dataset '${name}' is ${entity === null ? 'missing' : `a ${entity.constructor.name}, not a dataset`} (the file has: ${found})`,
        );
      }
      checkDatasetSize(entity, name, where, fileSize);
      let value: unknown;
      try {
        value = entity.value;
      } catch (e) {
        throw new McscError(where, `dataset '${name}' cannot be read (corrupt file?): ${hdf5ErrorLine((e as Error).message)}`);
      }
      if (!ArrayBuffer.isView(value) || value instanceof DataView || value instanceof Uint8ClampedArray) {
        throw new McscError(where, `dataset '${name}' has dtype ${JSON.stringify(entity.dtype)}, expected a numeric array`);
      }
      out[name] = { shape: entity.shape ?? [], data: value as SourceArray };
    }
    return out;
  } finally {
    file.close();
  }
}

/**
 * What a dataset declares must fit the file before it is read: its bytes at most the file's size (or
 * deflate's best ratio times it, when stored compressed) and at most {@link H5_MAX_DATASET_BYTES}.
 */
function checkDatasetSize(
  entity: { metadata: { size: number; total_size: number; type: number; shape: number[] | null }; filters: { name: string }[] },
  name: string,
  where: string,
  fileSize: number,
): void {
  let meta: typeof entity.metadata;
  let filters: { name: string }[];
  try {
    meta = entity.metadata;
    filters = entity.filters;
  } catch (e) {
    throw new McscError(where, `dataset '${name}' cannot be read (corrupt file?): ${hdf5ErrorLine((e as Error).message)}`);
  }
  if (meta.type !== 0 && meta.type !== 1) return; // not numeric: refused after reading, with its dtype
  const bytes = meta.size * meta.total_size;
  const compressed = filters.some((f) => f.name !== 'shuffle' && f.name !== 'fletcher32');
  const most = Math.min(H5_MAX_DATASET_BYTES, compressed ? fileSize * MAX_COMPRESSION_RATIO : fileSize);
  if (bytes > most) {
    const shape = `[${(meta.shape ?? []).join(', ')}]`;
    throw new McscError(
      where,
      `dataset '${name}' declares shape ${shape} of ${meta.size}-byte values (${bytes} bytes), more than ${bytes > H5_MAX_DATASET_BYTES ? `the limit of ${H5_MAX_DATASET_BYTES} bytes (see docs/limits.md)` : `the ${fileSize}-byte file can hold${compressed ? ' even compressed' : ''}`}`,
    );
  }
}

/** Checks the HDF5 signature of a regular file (FIFOs and devices are refused unopened); returns its size. */
async function checkSignature(path: string, where: string): Promise<number> {
  const st = await stat(path).catch((e: unknown) => {
    throw failedTo(where, 'cannot open', e);
  });
  if (!st.isFile())
    throw new McscError(
      where,
      `cannot open: it is ${st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isCharacterDevice() ? 'a character device' : 'not a regular file'}; expected an HDF5 file`,
    );
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)).catch((e: unknown) => {
    throw failedTo(where, 'cannot open', e);
  });
  try {
    const { size } = await handle.stat();
    const probe = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      await handle.read(probe, 0, 8, at);
      if (SIGNATURE.every((b, i) => probe[i] === b)) return size;
      if (at >= 1 << 20) break;
    }
    const head = Buffer.alloc(Math.min(8, size));
    await handle.read(head, 0, head.length, 0);
    throw new McscError(
      where,
      `not an HDF5 file (no HDF5 signature; the file starts with ${JSON.stringify(head.toString('latin1'))}, ${size} bytes)`,
    );
  } finally {
    await handle.close();
  }
}

/**
 * numpy `.npy` arrays and `.npz` archives (a zip of `.npy` members, stored or deflated — what
 * `np.savez` / `np.savez_compressed` write; TransUNet's Synapse `train_npz/*.npz` are of this kind).
 *
 * `.npy` layout (numpy/lib/format.py): magic `\x93NUMPY`, version (1.0: 2-byte header length;
 * 2.0 / 3.0: 4-byte), then a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (512, 512), }`
 * padded with spaces, then the raw data. Fortran-ordered arrays are returned transposed to C order.
 */
import { unzipSync, type UnzipFileInfo } from 'fflate';
import type { SourceArray } from './convert.js';
import { failedTo, readRegularFile, McscError } from '@mcsc/graph/node';
import { crc32 } from '@mcsc/infer';

/** Largest `.npz` file read, and largest member inflated (docs/limits.md). */
export const NPZ_MAX_BYTES = 2 ** 31;

/** A parsed array: row-major (C order) values and shape. */
export interface NpyArray {
  readonly shape: readonly number[];
  readonly data: SourceArray;
  /** The numpy dtype string as found, e.g. `<f4`. */
  readonly descr: string;
}

type Ctor = { new (buffer: ArrayBuffer): SourceArray; readonly BYTES_PER_ELEMENT: number };

/** numpy kind+size → array type (`b1` bool reads as uint8; `f2` is widened to float32). */
const TYPES: Readonly<Record<string, Ctor>> = {
  b1: Uint8Array,
  u1: Uint8Array,
  i1: Int8Array,
  u2: Uint16Array,
  i2: Int16Array,
  u4: Uint32Array,
  i4: Int32Array,
  u8: BigUint64Array,
  i8: BigInt64Array,
  f4: Float32Array,
  f8: Float64Array,
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses one `.npy` file's bytes; `source` names it in errors (e.g. `Synapse slice a.npz: member 'image.npy'`). */
export function parseNpy(bytes: Uint8Array, source: string): NpyArray {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    const head = Array.from(bytes.subarray(0, 6), (b) =>
      b >= 32 && b < 127 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`,
    ).join('');
    throw new McscError(source, `not a .npy array: starts with "${head}", expected "\\x93NUMPY"`);
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let start: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLength = view.getUint32(8, true);
    start = 12;
  } else {
    throw new McscError(source, `.npy format version ${major}.${bytes[7]} is not supported, expected 1.0, 2.0 or 3.0`);
  }
  if (start + headerLength > bytes.length) {
    throw new McscError(source, `.npy header of ${headerLength} bytes runs past the end of the ${bytes.length}-byte file`);
  }
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new McscError(source, `.npy header ${JSON.stringify(header.trim())} lacks 'descr', 'fortran_order' or 'shape'`);
  }
  const parts = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const shape = parts.map((p) => (/^\d+L?$/.test(p) ? Number.parseInt(p, 10) : NaN));
  if (shape.some((n) => !Number.isSafeInteger(n) || n < 0)) {
    throw new McscError(source, `.npy shape (${shapeText}) is not a tuple of sizes`);
  }
  const m = /^([<>|=])([a-z])(\d+)$/.exec(descr);
  const kind = m ? `${m[2]}${m[3]}` : '';
  if (!m || (!(kind in TYPES) && kind !== 'f2')) {
    throw new McscError(source, `.npy dtype '${descr}' is not supported, expected bool, (u)int8–64, float16, float32 or float64`);
  }
  const width = Number(m[3]);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLength;
  if (dataStart + count * width > bytes.length) {
    throw new McscError(
      source,
      `.npy shape (${shape.join(', ')}) of '${descr}' needs ${count * width} data bytes, the file has ${bytes.length - dataStart}`,
    );
  }
  const raw = bytes.slice(dataStart, dataStart + count * width);
  if (m[1] === '>' && width > 1) {
    for (let i = 0; i < raw.length; i += width) raw.subarray(i, i + width).reverse();
  }
  let data: SourceArray = kind === 'f2' ? halfToFloat(new Uint16Array(raw.buffer)) : new TYPES[kind]!(raw.buffer);
  if (fortran === 'True' && shape.length > 1) data = fortranToC(data, shape);
  return { shape, data, descr };
}

/**
 * Parses a `.npz` archive into its arrays, keyed by member name without `.npy`. Each `.npy` member's
 * declared size is checked before it is inflated (stored: its size; deflated: at most deflate's best
 * ratio, 1032:1, times the compressed size, and at most {@link NPZ_MAX_BYTES}), and what comes out must
 * match the size and CRC-32 the archive's central directory records.
 */
export function parseNpz(bytes: Uint8Array, source: string): Record<string, NpyArray> {
  const declared = new Map<string, UnzipFileInfo>();
  let refused: Error | undefined;
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes, {
      filter: (info) => {
        if (!info.name.endsWith('.npy')) return false;
        const where = `${source}: member '${info.name}'`;
        const most = info.compression === 0 ? info.size : info.size * 1032 + 64;
        if (info.compression !== 0 && info.compression !== 8) {
          refused = new McscError(where, `compression method ${info.compression} is not supported, expected stored (0) or deflate (8)`);
        } else if (info.originalSize > most || info.originalSize > NPZ_MAX_BYTES) {
          const limit = info.originalSize > NPZ_MAX_BYTES ? `the limit of ${NPZ_MAX_BYTES} bytes (see docs/limits.md)` : 'they can hold';
          refused = new McscError(
            where,
            `declares ${info.originalSize} bytes from ${info.size} ${info.compression === 0 ? 'stored' : 'compressed'} bytes, more than ${limit}`,
          );
        }
        if (refused) throw refused;
        declared.set(info.name, info);
        return true;
      },
    });
  } catch (e) {
    if (refused) throw refused;
    throw failedTo(source, 'not a readable .npz (zip) archive', e);
  }
  const crcs = centralCrcs(bytes);
  const out: Record<string, NpyArray> = {};
  for (const [name, data] of Object.entries(members)) {
    const info = declared.get(name)!;
    const where = `${source}: member '${name}'`;
    if (data.length !== info.originalSize)
      throw new McscError(where, `holds ${data.length} bytes, but the archive records ${info.originalSize} (truncated or damaged)`);
    const crc = crcs.get(name);
    const actual = crc32(data);
    if (crc !== undefined && crc !== actual) {
      throw new McscError(
        where,
        `CRC-32 is 0x${actual.toString(16).padStart(8, '0')}, but the archive records 0x${crc.toString(16).padStart(8, '0')} (damaged data)`,
      );
    }
    out[name.slice(0, -4)] = parseNpy(data, where);
  }
  return out;
}

/** Reads a `.npz` file (a regular file of at most {@link NPZ_MAX_BYTES}). */
export async function readNpz(path: string, what: string): Promise<Record<string, NpyArray>> {
  const bytes = await readRegularFile(path, `${what} ${path}`, NPZ_MAX_BYTES, 'a .npz archive');
  return parseNpz(bytes, `${what} ${path}`);
}

/** Name → CRC-32 from a zip's central directory (ZIP64 archives keep the 32-bit field). */
function centralCrcs(bytes: Uint8Array): Map<string, number> {
  const out = new Map<string, number>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let e = bytes.length - 22;
  while (e >= 0 && view.getUint32(e, true) !== 0x06054b50) {
    if (bytes.length - e > 65557) return out;
    e--;
  }
  if (e < 0) return out;
  let count = view.getUint16(e + 10, true);
  let at = view.getUint32(e + 16, true);
  if (e >= 20 && view.getUint32(e - 20, true) === 0x07064b50) {
    const z = Number(view.getBigUint64(e - 12, true));
    if (z + 56 <= bytes.length && view.getUint32(z, true) === 0x06064b50) {
      count = Number(view.getBigUint64(z + 32, true));
      at = Number(view.getBigUint64(z + 48, true));
    }
  }
  const decoder = new TextDecoder();
  for (let i = 0; i < count && at + 46 <= bytes.length && view.getUint32(at, true) === 0x02014b50; i++) {
    const nameLength = view.getUint16(at + 28, true);
    if (at + 46 + nameLength > bytes.length) break;
    out.set(decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength)), view.getUint32(at + 16, true));
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return out;
}

/** Reorders Fortran-ordered (first axis fastest) values into C order. */
function fortranToC(data: SourceArray, shape: readonly number[]): SourceArray {
  const rank = shape.length;
  const fStrides = new Array<number>(rank);
  let s = 1;
  for (let a = 0; a < rank; a++) {
    fStrides[a] = s;
    s *= shape[a]!;
  }
  // Same element type as the input; the constructor of a typed array builds its own type.
  const out = new (data.constructor as new (n: number) => SourceArray)(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < data.length; flat++) {
    let src = 0;
    for (let a = 0; a < rank; a++) src += idx[a]! * fStrides[a]!;
    (out as unknown as { [i: number]: number | bigint })[flat] = data[src]!;
    for (let a = rank - 1; a >= 0; a--) {
      if (++idx[a]! < shape[a]!) break;
      idx[a] = 0;
    }
  }
  return out;
}

/** IEEE 754 half → float32. */
function halfToFloat(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const x = h[i]!;
    const sign = x & 0x8000 ? -1 : 1;
    const exp = (x >> 10) & 0x1f;
    const frac = x & 0x3ff;
    out[i] =
      exp === 0
        ? sign * 2 ** -14 * (frac / 1024)
        : exp === 31
          ? frac
            ? NaN
            : sign * Infinity
          : sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return out;
}

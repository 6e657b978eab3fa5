/**
 * numpy `.npy` arrays and `.npz` archives (a zip of `.npy` members, stored or deflated — what
 * `np.savez` / `np.savez_compressed` write; TransUNet's Synapse `train_npz/*.npz` are of this kind).
 *
 * `.npy` layout (numpy/lib/format.py): magic `\x93NUMPY`, version (1.0: 2-byte header length;
 * 2.0 / 3.0: 4-byte), then a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (512, 512), }`
 * padded with spaces, then the raw data. Fortran-ordered arrays are returned transposed to C order.
 */
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import type { SourceArray } from './convert.js';

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
  b1: Uint8Array, u1: Uint8Array, i1: Int8Array, u2: Uint16Array, i2: Int16Array, u4: Uint32Array,
  i4: Int32Array, u8: BigUint64Array, i8: BigInt64Array, f4: Float32Array, f8: Float64Array,
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses one `.npy` file's bytes; `source` names it in errors (e.g. `Synapse slice a.npz: member 'image.npy'`). */
export function parseNpy(bytes: Uint8Array, source: string): NpyArray {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    const head = Array.from(bytes.subarray(0, 6), (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
    throw new Error(`${source}: not a .npy array: starts with "${head}", expected "\\x93NUMPY"`);
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
    throw new Error(`${source}: .npy format version ${major}.${bytes[7]} is not supported, expected 1.0, 2.0 or 3.0`);
  }
  if (start + headerLength > bytes.length) {
    throw new Error(`${source}: .npy header of ${headerLength} bytes runs past the end of the ${bytes.length}-byte file`);
  }
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`${source}: .npy header ${JSON.stringify(header.trim())} lacks 'descr', 'fortran_order' or 'shape'`);
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new Error(`${source}: .npy shape (${shapeText}) is not a tuple of sizes`);
  }
  const m = /^([<>|=])([a-z])(\d+)$/.exec(descr);
  const kind = m ? `${m[2]}${m[3]}` : '';
  if (!m || (!(kind in TYPES) && kind !== 'f2')) {
    throw new Error(`${source}: .npy dtype '${descr}' is not supported, expected bool, (u)int8–64, float16, float32 or float64`);
  }
  const width = Number(m[3]);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLength;
  if (dataStart + count * width > bytes.length) {
    throw new Error(`${source}: .npy shape (${shape.join(', ')}) of '${descr}' needs ${count * width} data bytes, the file has ${bytes.length - dataStart}`);
  }
  const raw = bytes.slice(dataStart, dataStart + count * width);
  if (m[1] === '>' && width > 1) {
    for (let i = 0; i < raw.length; i += width) raw.subarray(i, i + width).reverse();
  }
  let data: SourceArray = kind === 'f2' ? halfToFloat(new Uint16Array(raw.buffer)) : new TYPES[kind]!(raw.buffer);
  if (fortran === 'True' && shape.length > 1) data = fortranToC(data, shape);
  return { shape, data, descr };
}

/** Parses a `.npz` archive into its arrays, keyed by member name without `.npy`. */
export function parseNpz(bytes: Uint8Array, source: string): Record<string, NpyArray> {
  let members: Record<string, Uint8Array>;
  try {
    members = unzipSync(bytes);
  } catch (e) {
    throw new Error(`${source}: not a readable .npz (zip) archive: ${(e as Error).message}`);
  }
  const out: Record<string, NpyArray> = {};
  for (const [name, data] of Object.entries(members)) {
    if (!name.endsWith('.npy')) continue;
    out[name.slice(0, -4)] = parseNpy(data, `${source}: member '${name}'`);
  }
  return out;
}

/** Reads a `.npz` file. */
export async function readNpz(path: string, what: string): Promise<Record<string, NpyArray>> {
  const bytes = await readFile(path).catch((e: unknown) => {
    throw new Error(`${what} ${path}: cannot read: ${(e as Error).message}`);
  });
  return parseNpz(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), `${what} ${path}`);
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
    out[i] = exp === 0 ? sign * 2 ** -14 * (frac / 1024)
      : exp === 31 ? (frac ? NaN : sign * Infinity)
        : sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return out;
}

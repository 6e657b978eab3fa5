/**
 * Generators of bad inputs, by category: every case writes its files into a fresh folder, runs one
 * library function on them and states what the error must say. Nothing here is a stored blob: the
 * corpora are rebuilt from the valid encoders (encodeSafetensors, encodeNifti, npy bytes, h5wasm) and
 * deterministic edits, plus seeded random mutations (`mayPass`: a mutation can leave a file valid —
 * then it must load; if it fails, the error must still be the project's own, naming the file).
 *
 * Categories: safetensors, nifti, npy, h5, json config, acdc lists/paths, labels, images, outputs.
 * Used by fuzz.test.ts (in process), memory.test.ts (peak memory in a child process) and cli.test.ts.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync as zlibGzip, type ZlibOptions } from 'node:zlib';
// fflate and h5wasm are dependencies of @mcsc/train, not of the repository root: reached through it.
import { zipSync } from '../../packages/train/node_modules/fflate';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../../packages/graph/src/safetensors';
import type { DType } from '../../packages/graph/src/tensor';
import { importH5wasm } from './native';
import { encodeNifti } from '../../packages/infer/src/nifti';
import { readNifti } from '../../packages/infer/src/node/nifti';
import { predictFile } from '../../packages/infer/src/node/predict-file';
import { loadAcdc, readAcdcSlice, readAcdcVolume } from '../../packages/train/src/data/acdc';
import { buildNiftiDataset, loadNiftiDataset } from '../../packages/train/src/data/nifti-dataset';
import { parseNpy } from '../../packages/train/src/data/npy';
import { loadSynapse, readSynapseSlice, readSynapseVolume } from '../../packages/train/src/data/synapse';
import { readModelConfig } from '../../packages/train/src/models/model-config';

export const CATEGORIES = ['safetensors', 'nifti', 'npy', 'h5', 'json config', 'acdc lists/paths', 'labels', 'images', 'outputs'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface FuzzCase {
  readonly category: Category;
  readonly name: string;
  /** Writes the inputs under `dir` (empty, the case's own); returns the file the error must name. */
  readonly setup: (dir: string, env: FuzzEnv) => Promise<string> | string;
  /** Runs the library function on it; it must throw (unless `mayPass`). */
  readonly run: (file: string, dir: string, env: FuzzEnv) => Promise<unknown> | unknown;
  /** What the message must say besides the file's name. */
  readonly expect: RegExp;
  /** A random mutation, which may leave the input valid. */
  readonly mayPass?: boolean;
  /** Files or folders (relative to `dir`) that must not exist afterwards. */
  readonly outputs?: readonly string[];
  /** Needs mkfifo / symlinks (skipped on Windows). */
  readonly posix?: boolean;
}

/** What several cases share: an exported ONNX model (predictFile cases). */
export interface FuzzEnv {
  readonly model: string;
}

/** mulberry32: a small seeded generator, so that every run builds the same corpus. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EXPECTED =
  /expected|not an HDF5 file|limit|not allowed|not a valid|corrupt|cannot|not supported|outside the data folder|symlink|not finite|not a whole number|not a class index|out of range|declares|records|missing|is not|shorter|refused|invalid|must/;

/**
 * The "not a regular file" cases of one reader: /dev/zero and a FIFO (both would never end), a directory
 * and, unless `missing` is false, a missing file. `zero` and `fifo` are what the reader must say for the
 * first two (their wording names what was expected); the other two read `cannot <verb>: …`.
 */
function notRegularFiles(o: {
  category: Category;
  ext: string;
  verb: 'read' | 'open';
  zero: RegExp;
  fifo: RegExp;
  run: (file: string) => Promise<unknown> | unknown;
  prefix?: string;
  missing?: boolean;
}): FuzzCase[] {
  const named = (name: string) => `${o.prefix ?? ''}${name}`;
  const cases: FuzzCase[] = [
    { category: o.category, name: named('/dev/zero'), expect: o.zero, posix: true, setup: () => '/dev/zero', run: o.run },
    {
      category: o.category,
      name: named('a FIFO'),
      expect: o.fifo,
      posix: true,
      setup: (dir) => {
        const f = join(dir, `pipe${o.ext}`);
        execFileSync('mkfifo', [f]);
        return f;
      },
      run: o.run,
    },
    {
      category: o.category,
      name: named('a directory'),
      expect: new RegExp(`cannot ${o.verb}: it is a directory`),
      setup: (dir) => {
        const f = join(dir, `folder${o.ext}`);
        mkdirSync(f);
        return f;
      },
      run: o.run,
    },
  ];
  if (o.missing !== false) {
    cases.push({
      category: o.category,
      name: named('a missing file'),
      expect: new RegExp(`cannot ${o.verb}: ENOENT`),
      setup: (dir) => join(dir, `absent${o.ext}`),
      run: o.run,
    });
  }
  return cases;
}

/** gzip bytes as a plain Uint8Array (Node's Buffer#slice would share memory between cases). */
function gzipSync(bytes: Uint8Array, options: ZlibOptions = {}): Uint8Array {
  return new Uint8Array(zlibGzip(bytes, options));
}

// ───────────────────────────── safetensors ─────────────────────────────

/** A safetensors file from a header (object or raw text), a data section and an optional length override. */
function st(header: unknown, data: Uint8Array | number, length?: bigint): Uint8Array {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

const A = { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] };
const B = { dtype: 'F32', shape: [4], data_offsets: [24, 40] };

function validWeights(): Uint8Array {
  const tensors = new Map<string, NamedTensor>([
    ['conv.weight', { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
    ['conv.bias', { dtype: 'float32', shape: [2], data: Float32Array.from([0.5, -0.5]) }],
    ['bn.num_batches_tracked', { dtype: 'int64', shape: [], data: BigInt64Array.of(3n) }],
  ]);
  return encodeSafetensors(tensors, { format: 'pt' });
}

function safetensorsCases(): FuzzCase[] {
  const out: FuzzCase[] = [];
  const add = (
    name: string,
    bytes: () => Uint8Array,
    expect: RegExp = /not a valid safetensors file/,
    options: { expect?: ReadonlyMap<string, DType> } = {},
    mayPass = false,
  ) => {
    out.push({
      category: 'safetensors',
      name,
      mayPass,
      expect,
      setup: (dir) => {
        const file = join(dir, 'w.safetensors');
        writeFileSync(file, bytes());
        return file;
      },
      run: (file) => decodeSafetensors(readFileSync(file), file, options),
    });
  };
  // The header and its length.
  add('empty file', () => new Uint8Array(0), /shorter than the 8-byte header length/);
  add('7 bytes', () => new Uint8Array(7), /shorter than the 8-byte header length/);
  add('header length 0', () => st('', 0), /header starts with "", expected a JSON object/);
  add('header length past the file', () => st({}, 0, 1000n), /exceeds the file size/);
  add('header length 2^63', () => st({}, 0, 2n ** 63n), /exceeds the limit of 100000000 bytes/);
  add('header length 2^53 + 1', () => st({}, 0, 2n ** 53n + 1n), /exceeds the limit/);
  add('header length just over the limit', () => st({}, 0, 100_000_001n), /exceeds the limit/);
  for (const [name, text] of [
    ['a JSON array', '[]'],
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"weights"'],
    ['truncated JSON', '{"a": {"dtype": "F32"'],
    ['a trailing comma', '{"a": 1,}'],
    ['single quotes', "{'a': 1}"],
    ['leading spaces then an array', '  [1]'],
  ] as const)
    add(`header: ${name}`, () => st(text, 0), /header starts with|header is not JSON|expected a JSON object|tensor 'a' is/);
  add(
    'header: not UTF-8',
    () => {
      const b = st('{"ab": 1}', 0);
      b[10] = 0xff;
      return b;
    },
    /header is not valid UTF-8/,
  );
  add('header: deeply nested entry', () => st(`{"a": ${'['.repeat(50000)}${']'.repeat(50000)}}`, 0), /tensor 'a' is an array/);
  add(
    'header: __proto__ key',
    () => st('{"__proto__": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', 4),
    /header key '__proto__' is not allowed/,
  );
  add('header: constructor key', () => st({ constructor: { ...A } }, 24), /header key 'constructor' is not allowed/);
  add('__metadata__ null', () => st({ __metadata__: null }, 0), /__metadata__ is null, expected an object of strings/);
  add('__metadata__ an array', () => st({ __metadata__: ['pt'] }, 0), /__metadata__ is an array/);
  add('__metadata__ a number value', () => st({ __metadata__: { format: 1 } }, 0), /__metadata__\.format is number 1, expected a string/);
  add('__metadata__ __proto__ key', () => st('{"__metadata__": {"__proto__": "x"}}', 0), /__metadata__ key '__proto__' is not allowed/);
  // One tensor entry, each field broken in turn.
  for (const [name, entry] of [
    ['null', null],
    ['a number', 1],
    ['a string', 'F32'],
    ['an array', []],
    ['an empty object', {}],
  ] as const) {
    add(`entry: ${name}`, () => st({ a: entry }, 24), /tensor 'a' (is|has dtype)/);
  }
  for (const [name, dtype] of [
    ['missing', undefined],
    ['null', null],
    ['a number', 4],
    ['lower case', 'f32'],
    ['complex', 'C64'],
    ['F8_E4M3', 'F8_E4M3'],
    ['empty', ''],
  ] as const) {
    add(`dtype: ${name}`, () => st({ a: { ...A, dtype } }, 24), /tensor 'a' has dtype/);
  }
  for (const [name, shape] of [
    ['missing', undefined],
    ['null', null],
    ['a string', '2,3'],
    ['fractional', [2.5, 3]],
    ['negative', [-2, -3]],
    ['strings', ['2', '3']],
    ['2^53', [2 ** 53]],
    ['1e308', [1e308]],
    ['with null', [2, null]],
    ['huge product', [2 ** 40, 2 ** 40, 2 ** 40]],
    ['too few bytes', [2, 4]],
    ['too many bytes', [2, 2]],
  ] as const) {
    add(`shape: ${name}`, () => st({ a: { ...A, shape } }, 24), /tensor 'a' has shape/);
  }
  for (const [name, offsets] of [
    ['missing', undefined],
    ['null', null],
    ['one number', [0]],
    ['three numbers', [0, 24, 0]],
    ['strings', ['0', '24']],
    ['negative (into the header)', [-8, 16]],
    ['fractional', [0.5, 24.5]],
    ['reversed', [24, 0]],
    ['2^53', [0, 2 ** 53]],
    ['1e30', [0, 1e30]],
    ['past the data', [0, 48]],
    ['an object', { begin: 0, end: 24 }],
  ] as const) {
    add(`data_offsets: ${name}`, () => st({ a: { ...A, data_offsets: offsets } }, 24), /tensor 'a' has (data_offsets|shape)/);
  }
  // Ranges against each other and the data.
  add('ranges overlap', () => st({ a: A, b: { ...B, data_offsets: [16, 32] } }, 40), /overlaps tensor/);
  add('two tensors share a range', () => st({ a: A, b: { ...A } }, 24), /overlaps tensor/);
  add('a gap between ranges', () => st({ a: A, b: { ...B, data_offsets: [28, 44] } }, 44), /belong to no tensor/);
  add('a gap before the first range', () => st({ b: { ...B, data_offsets: [8, 24] } }, 24), /bytes 0 … 8 of the data belong to no tensor/);
  add('trailing bytes after the last range', () => st({ a: A }, 32), /the data holds 32 bytes but the tensors cover 24/);
  add('data shorter than the ranges', () => st({ a: A, b: B }, 30), /past the end of the 30-byte data/);
  add('no data at all', () => st({ a: A }, 0), /past the end of the 0-byte data/);
  // The dtype the model expects.
  for (const [fileType, size, want] of [
    ['I64', 8, 'float32'],
    ['BOOL', 1, 'float32'],
    ['I32', 4, 'float32'],
    ['U8', 1, 'float32'],
    ['F32', 4, 'int64'],
    ['F16', 2, 'bool'],
  ] as const) {
    add(
      `expect ${want}, file ${fileType}`,
      () => st({ w: { dtype: fileType, shape: [3], data_offsets: [0, 3 * size] } }, 3 * size),
      new RegExp(`tensor 'w' has dtype ${fileType}, which loads as \\w+, but the model expects ${want}`),
      { expect: new Map([['w', want]]) },
    );
  }
  // Seeded mutations of a valid file: truncations and header-length shifts always fail; byte edits in the header may not.
  const valid = validWeights();
  const n = Number(new DataView(valid.buffer).getBigUint64(0, true));
  const rnd = random(12);
  for (let i = 0; i < 20; i++) {
    const at = 1 + Math.floor(rnd() * (valid.length - 1));
    add(`truncated to ${at} of ${valid.length} bytes`, () => valid.slice(0, at));
  }
  for (const delta of [-64, -9, -8, -1, 1, 7, 8, 64]) {
    add(`header length ${delta > 0 ? '+' : ''}${delta}`, () => {
      const b = valid.slice();
      new DataView(b.buffer).setBigUint64(0, BigInt(n + delta), true);
      return b;
    });
  }
  for (let i = 0; i < 40; i++) {
    const edits = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => [8 + Math.floor(rnd() * n), Math.floor(rnd() * 256)] as const);
    add(
      `header bytes edited ${edits.map(([a, v]) => `@${a}=${v}`).join(' ')}`,
      () => {
        const b = valid.slice();
        for (const [a, v] of edits) b[a] = v;
        return b;
      },
      /not a valid safetensors file/,
      {},
      true,
    );
  }
  return out;
}

// ───────────────────────────── NIfTI ─────────────────────────────

/** An int16 8×8×4 volume's .nii bytes, header edited by `edit`. */
function nii(edit: (v: DataView, b: Uint8Array) => void = () => undefined, dims = [8, 8, 4]): Uint8Array {
  const b = encodeNifti(
    Int16Array.from({ length: dims.reduce((x, y) => x * y, 1) }, (_, i) => (i * 37) % 500),
    { dims, spacing: [1, 1, 2] },
  );
  edit(new DataView(b.buffer), b);
  return b;
}

function niftiCases(): FuzzCase[] {
  const out: FuzzCase[] = [];
  const add = (name: string, bytes: () => Uint8Array, expect: RegExp, options: { mayPass?: boolean; ext?: string } = {}) => {
    out.push({
      category: 'nifti',
      name,
      expect,
      ...(options.mayPass ? { mayPass: true } : {}),
      setup: (dir) => {
        const file = join(dir, `scan${options.ext ?? '.nii'}`);
        writeFileSync(file, bytes());
        return file;
      },
      run: (file) => readNifti(file),
    });
  };
  const edits: [string, (v: DataView, b: Uint8Array) => void, RegExp][] = [
    ['sizeof_hdr 0', (v) => v.setInt32(0, 0, true), /not a NIfTI-1 file: sizeof_hdr is 0/],
    ['sizeof_hdr 347', (v) => v.setInt32(0, 347, true), /not a NIfTI-1 file/],
    ['magic ni1 (a .hdr/.img pair)', (_, b) => b.set([0x6e, 0x69, 0x31, 0], 344), /magic "ni1" marks a \.hdr\/\.img pair/],
    ['magic n+2', (_, b) => b.set([0x6e, 0x2b, 0x32, 0], 344), /not a NIfTI-1 file: .*magic is "n\+2\\x00"/],
    ['magic garbage', (_, b) => b.set([0x41, 0x42, 0x43, 0x44], 344), /magic is "ABCD"/],
    [
      'a NIfTI-2 header',
      (v, b) => {
        v.setInt32(0, 540, true);
        b.set([0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a], 4);
      },
      /NIfTI-2 is not supported|not a NIfTI-1 file/,
    ],
    ['dim[0] 0', (v) => v.setInt16(40, 0, true), /dim\[0\] is 0, expected 1 … 7/],
    ['dim[0] -1', (v) => v.setInt16(40, -1, true), /dim\[0\] is -1/],
    ['dim[0] 8', (v) => v.setInt16(40, 8, true), /dim\[0\] is 8/],
    ['dim[0] 255', (v) => v.setInt16(40, 255, true), /dim\[0\] is 255/],
    ['dim[1] 0', (v) => v.setInt16(42, 0, true), /must all be ≥ 1/],
    ['dim[2] -3', (v) => v.setInt16(44, -3, true), /must all be ≥ 1/],
    ['dim[3] -32768', (v) => v.setInt16(46, -32768, true), /must all be ≥ 1/],
    ['datatype 0 (unknown)', (v) => v.setInt16(70, 0, true), /datatype 0 .* is not supported/],
    ['datatype 1 (binary)', (v) => v.setInt16(70, 1, true), /datatype 1 .* is not supported/],
    ['datatype 32 (complex64)', (v) => v.setInt16(70, 32, true), /datatype 32 .* is not supported/],
    ['datatype 128 (RGB)', (v) => v.setInt16(70, 128, true), /datatype 128 .* is not supported/],
    ['datatype 1024 (int64)', (v) => v.setInt16(70, 1024, true), /datatype 1024 .* is not supported/],
    ['datatype 1536 (float128)', (v) => v.setInt16(70, 1536, true), /datatype 1536 .* is not supported/],
    ['datatype 9999', (v) => v.setInt16(70, 9999, true), /datatype 9999 .* is not supported/],
    ['vox_offset 0', (v) => v.setFloat32(108, 0, true), /vox_offset is 0, expected a whole number ≥ 352/],
    ['vox_offset 348', (v) => v.setFloat32(108, 348, true), /vox_offset is 348/],
    ['vox_offset 351', (v) => v.setFloat32(108, 351, true), /vox_offset is 351/],
    ['vox_offset 352.5', (v) => v.setFloat32(108, 352.5, true), /vox_offset is 352\.5/],
    ['vox_offset -352', (v) => v.setFloat32(108, -352, true), /vox_offset is -352/],
    ['vox_offset NaN', (v) => v.setFloat32(108, NaN, true), /vox_offset is NaN/],
    ['vox_offset Infinity', (v) => v.setFloat32(108, Infinity, true), /vox_offset is Infinity/],
    [
      'vox_offset 1e9 (past the file)',
      (v) => v.setFloat32(108, 1e9, true),
      /header promises .* (but the file holds|more than the \d+-byte gzip stream can inflate to)/,
    ],
    ['pixdim NaN', (v) => v.setFloat32(80, NaN, true), /pixdim \[NaN, 1, 2\] holds non-finite voxel sizes/],
    ['pixdim Infinity', (v) => v.setFloat32(88, Infinity, true), /holds non-finite voxel sizes/],
    [
      'sform Infinity',
      (v) => {
        v.setInt16(254, 1, true);
        v.setFloat32(284, Infinity, true);
      },
      /affine \(sform\) holds non-finite values/,
    ],
    [
      'qform NaN offset',
      (v) => {
        v.setInt16(254, 0, true);
        v.setInt16(252, 1, true);
        v.setFloat32(268, NaN, true);
      },
      /affine \(qform\) holds non-finite values/,
    ],
    [
      'more slices than the file holds',
      (v) => v.setInt16(46, 400, true),
      /header promises 8×8×400 voxels of 2 bytes at offset 352 \(51552 bytes\), but the file holds 864 bytes/,
    ],
    [
      'float64 where int16 was stored',
      (v) => {
        v.setInt16(70, 64, true);
        v.setInt16(72, 64, true);
      },
      /header promises 8×8×4 voxels of 8 bytes/,
    ],
    [
      '1024³ uint8 (over the voxel limit)',
      (v) => {
        v.setInt16(70, 2, true);
        v.setInt16(42, 1024, true);
        v.setInt16(44, 1024, true);
        v.setInt16(46, 1024, true);
      },
      /hold 1073741824 voxels, more than the limit of 536870912 \(maxVoxels; see docs\/limits\.md\)/,
    ],
    [
      '32767³',
      (v) => {
        v.setInt16(42, 32767, true);
        v.setInt16(44, 32767, true);
        v.setInt16(46, 32767, true);
      },
      /more than the limit of 536870912/,
    ],
    [
      '7-D, 100 per axis',
      (v) => {
        v.setInt16(40, 7, true);
        for (let i = 1; i <= 7; i++) v.setInt16(40 + 2 * i, 100, true);
      },
      /more than the limit/,
    ],
  ];
  for (const [name, edit, expect] of edits) {
    add(`.nii ${name}`, () => nii(edit), expect);
    add(`.nii.gz ${name}`, () => gzipSync(nii(edit)), expect, { ext: '.nii.gz' });
  }
  const good = nii();
  for (const at of [0, 1, 100, 347, 348, 350, 352, 400, good.length - 1]) {
    add(`.nii truncated to ${at} bytes`, () => good.slice(0, at), /shorter than the 348-byte|header promises|not a NIfTI-1 file/);
  }
  const gz = gzipSync(good);
  const gzEdit = (name: string, make: () => Uint8Array, expect: RegExp) => add(`.nii.gz ${name}`, make, expect, { ext: '.nii.gz' });
  gzEdit(
    'bad CRC-32',
    () => {
      const b = gz.slice();
      b[b.length - 8]! ^= 0x5a;
      return b;
    },
    /gzip stream is corrupt: CRC-32 of the stream is 0x[0-9a-f]+, but its trailer records/,
  );
  gzEdit(
    'bad ISIZE',
    () => {
      const b = gz.slice();
      b[b.length - 2]! ^= 0x01;
      return b;
    },
    /gzip stream is corrupt: the stream inflates to \d+ bytes, but its trailer records \d+ \(ISIZE\)/,
  );
  gzEdit('trailer cut by 4', () => gz.slice(0, gz.length - 4), /gzip stream is corrupt/);
  gzEdit('trailer cut by 8', () => gz.slice(0, gz.length - 8), /gzip stream is corrupt/);
  gzEdit('deflate data cut in half', () => gz.slice(0, gz.length >> 1), /gzip stream is corrupt/);
  gzEdit('only the gzip header', () => gz.slice(0, 10), /gzip stream is corrupt: 10 bytes is shorter than the smallest gzip member/);
  gzEdit('trailing zeros', () => Uint8Array.from([...gz, 0, 0, 0, 0]), /bytes after the end of a member are not another gzip member/);
  gzEdit(
    'trailing text',
    () => Uint8Array.from([...gz, ...new TextEncoder().encode('junk')]),
    /bytes after the end of a member are not another gzip member/,
  );
  gzEdit(
    'a second member with a bad CRC',
    () => {
      const m2 = gzipSync(Uint8Array.of(1, 2, 3));
      m2[m2.length - 8]! ^= 1;
      return Uint8Array.from([...gz, ...m2]);
    },
    /CRC-32 of member 2 of 2/,
  );
  gzEdit(
    'compression method 7',
    () => {
      const b = gz.slice();
      b[2] = 7;
      return b;
    },
    /gzip stream is corrupt/,
  );
  gzEdit(
    'reserved flag bits',
    () => {
      const b = gz.slice();
      b[3] = 0xe0;
      return b;
    },
    /gzip stream is corrupt: the stream sets reserved header flags \(0xe0\); expected them zero/,
  );
  gzEdit(
    'a header CRC that does not match',
    () => {
      const b = gz.slice();
      b[3] = 0x02;
      return Uint8Array.from([...b.subarray(0, 10), 0x12, 0x34, ...b.subarray(10)]);
    },
    /has a header CRC of 0x[0-9a-f]+, but it records 0x3412/,
  );
  gzEdit(
    'FEXTRA with a length past the end',
    () => {
      const b = gz.slice();
      b[3] = 0x04;
      b[10] = 0xff;
      b[11] = 0xff;
      return b;
    },
    /gzip stream is corrupt/,
  );
  gzEdit(
    'the header alone, gzipped',
    () => gzipSync(good.slice(0, 352)),
    /header promises 8×8×4 voxels .* but the file holds 352 bytes \(inflated\)/,
  );
  gzEdit(
    'a 1 KiB stream claiming 2^29 int16 voxels (1 GiB)',
    () =>
      gzipSync(
        nii((v) => {
          v.setInt16(42, 1024, true);
          v.setInt16(44, 1024, true);
          v.setInt16(46, 512, true);
        }),
      ),
    /header promises 1024×1024×512 voxels of 2 bytes \(1073742176 bytes\), more than the \d+-byte gzip stream can inflate to/,
  );
  gzEdit('an empty member', () => gzipSync(new Uint8Array(0)), /inflated\) is shorter than the 348-byte NIfTI-1 header/);
  gzEdit(
    'inflates to 64 MiB behind a 64×64×8 uint8 header',
    () => {
      const raw = new Uint8Array(64 << 20);
      raw.set(encodeNifti(new Uint8Array(64 * 64 * 8), { dims: [64, 64, 8] }).subarray(0, 352));
      return gzipSync(raw, { level: 1 });
    },
    /the gzip stream inflates to more than \d+ bytes, but the header declares 33120 .* refused as a decompression bomb/,
  );
  // Not files.
  out.push(
    ...notRegularFiles({
      category: 'nifti',
      ext: '.nii.gz',
      verb: 'read',
      zero: /cannot read: it is a character device; expected a regular \.nii or \.nii\.gz file/,
      fifo: /cannot read: it is a FIFO \(named pipe\)/,
      run: (file) => readNifti(file),
    }),
  );
  out.push({
    category: 'nifti',
    name: 'a symlink loop',
    expect: /cannot read: ELOOP/,
    posix: true,
    setup: (dir) => {
      const f = join(dir, 'loop.nii');
      symlinkSync(f, f);
      return f;
    },
    run: (file) => readNifti(file),
  });
  // Seeded mutations.
  const rnd = random(34);
  for (let i = 0; i < 30; i++) {
    const edits = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => [Math.floor(rnd() * 352), Math.floor(rnd() * 256)] as const);
    add(
      `.nii header bytes edited ${edits.map(([a, v]) => `@${a}=${v}`).join(' ')}`,
      () => {
        const b = good.slice();
        for (const [a, v] of edits) b[a] = v;
        return b;
      },
      EXPECTED,
      { mayPass: true },
    );
  }
  for (let i = 0; i < 20; i++) {
    const at = Math.floor(rnd() * gz.length);
    const bit = 1 << Math.floor(rnd() * 8);
    add(
      `.nii.gz bit ${Math.log2(bit)} of byte ${at} flipped`,
      () => {
        const b = gz.slice();
        b[at]! ^= bit;
        return b;
      },
      EXPECTED,
      { mayPass: true, ext: '.nii.gz' },
    );
  }
  return out;
}

// ───────────────────────────── npy / npz ─────────────────────────────

/** `.npy` bytes with a raw header text (version 1.0 unless given). */
function npy(header: string, data: Uint8Array, version = 1): Uint8Array {
  const h = new TextEncoder().encode(header);
  const start = version === 1 ? 10 : 12;
  const out = new Uint8Array(start + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, h.length, true);
  else v.setUint32(8, h.length, true);
  out.set(h, start);
  out.set(data, start + h.length);
  return out;
}

const f4 = (n: number, fill = 0.5) => new Uint8Array(new Float32Array(n).fill(fill).buffer);
const header = (descr: string, shape: string, fortran = 'False') =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }\n`;

function npyCases(): FuzzCase[] {
  const out: FuzzCase[] = [];
  const addNpy = (name: string, bytes: () => Uint8Array, expect: RegExp) =>
    out.push({
      category: 'npy',
      name: `.npy ${name}`,
      expect,
      setup: (dir) => {
        const f = join(dir, 'a.npy');
        writeFileSync(f, bytes());
        return f;
      },
      run: (file) => parseNpy(readFileSync(file), file),
    });
  addNpy('empty', () => new Uint8Array(0), /not a \.npy array/);
  addNpy('wrong magic', () => new TextEncoder().encode('\x93NUMPX\x01\x00'), /not a \.npy array/);
  addNpy('version 0', () => npy(header('<f4', '(2,)'), f4(2), 0), /format version 0\.0 is not supported/);
  addNpy('version 4', () => npy(header('<f4', '(2,)'), f4(2), 4), /format version 4\.0 is not supported/);
  addNpy(
    'header length past the end',
    () => {
      const b = npy(header('<f4', '(2,)'), f4(2));
      new DataView(b.buffer).setUint16(8, 60000, true);
      return b;
    },
    /header of 60000 bytes runs past the end/,
  );
  addNpy(
    'v2 header length 2^32 − 1',
    () => {
      const b = npy(header('<f4', '(2,)'), f4(2), 2);
      new DataView(b.buffer).setUint32(8, 0xffffffff, true);
      return b;
    },
    /header of 4294967295 bytes runs past the end/,
  );
  addNpy('no descr', () => npy("{'fortran_order': False, 'shape': (2,), }\n", f4(2)), /lacks 'descr', 'fortran_order' or 'shape'/);
  addNpy('no shape', () => npy("{'descr': '<f4', 'fortran_order': False, }\n", f4(2)), /lacks/);
  addNpy('no fortran_order', () => npy("{'descr': '<f4', 'shape': (2,), }\n", f4(2)), /lacks/);
  for (const descr of ['<c8', '|O', '<U4', '>f16', 'f4', '<f3', '|V8', '<M8[s]']) {
    addNpy(`dtype ${descr}`, () => npy(header(descr, '(2,)'), f4(4)), /dtype '.*' is not supported/);
  }
  for (const shape of ['(-1,)', '(1e3,)', '(2.5,)', '(99999999999999999999,)', '(a,)', '(0x10,)']) {
    addNpy(`shape ${shape}`, () => npy(header('<f4', shape), f4(2)), /shape .* is not a tuple of sizes/);
  }
  addNpy('data shorter than the shape', () => npy(header('<f4', '(4, 4)'), f4(15)), /needs 64 data bytes, the file has 60/);
  addNpy('no data', () => npy(header('<f8', '(3,)'), new Uint8Array(0)), /needs 24 data bytes, the file has 0/);
  addNpy('a huge shape', () => npy(header('<f4', '(100000, 100000, 100000)'), f4(2)), /needs 4000000000000000 data bytes/);

  const good = () => npy(header('<f4', '(2, 2)'), f4(4));
  const goodLabel = () => npy(header('|u1', '(2, 2)'), new Uint8Array(4));
  const addNpz = (name: string, bytes: () => Uint8Array, expect: RegExp, posix = false) =>
    out.push({
      category: 'npy',
      name: `.npz ${name}`,
      expect,
      posix,
      setup: (dir) => {
        const f = join(dir, 'case0001_slice000.npz');
        writeFileSync(f, bytes());
        return f;
      },
      run: (file) => readSynapseSlice(file, 'case0001_slice000'),
    });
  addNpz('not a zip', () => new TextEncoder().encode('PK\x03\x04 but nothing else'), /not a readable \.npz \(zip\) archive/);
  addNpz('empty file', () => new Uint8Array(0), /not a readable \.npz/);
  addNpz(
    'truncated in half',
    () => {
      const z = zipSync({ 'image.npy': good(), 'label.npy': goodLabel() });
      return z.slice(0, z.length >> 1);
    },
    /not a readable \.npz/,
  );
  addNpz(
    'a damaged stored member',
    () => {
      const z = zipSync({ 'image.npy': [good(), { level: 0 }], 'label.npy': [goodLabel(), { level: 0 }] });
      const at = z.indexOf(0x3f); // the last byte of 0.5f (00 00 00 3f)
      z[at]! ^= 0x40;
      return z;
    },
    /member 'image\.npy': CRC-32 is 0x[0-9a-f]+, but the archive records/,
  );
  addNpz(
    'a damaged deflated member',
    () => {
      const z = zipSync({ 'image.npy': npy(header('<f4', '(64, 64)'), f4(4096, 0.25)), 'label.npy': goodLabel() });
      z[60]! ^= 0xff;
      return z;
    },
    /not a readable \.npz|CRC-32|holds \d+ bytes, but the archive records/,
  );
  addNpz(
    'a member declaring 2 GiB − 1',
    () => {
      const z = zipSync({ 'image.npy': good(), 'label.npy': goodLabel() });
      const v = new DataView(z.buffer);
      for (let at = z.length - 22; at > 0; at--) {
        if (v.getUint32(at, true) === 0x02014b50) {
          v.setUint32(at + 24, 0x7fffffff, true);
          break;
        }
      }
      return z;
    },
    /declares 2147483647 bytes from \d+ compressed bytes, more than they can hold/,
  );
  addNpz(
    'a stored member declaring more than it stores',
    () => {
      const z = zipSync({ 'label.npy': [goodLabel(), { level: 0 }], 'image.npy': [good(), { level: 0 }] });
      const v = new DataView(z.buffer);
      for (let at = z.length - 22; at > 0; at--) {
        if (v.getUint32(at, true) === 0x02014b50) {
          v.setUint32(at + 24, v.getUint32(at + 24, true) + 100, true);
          break;
        }
      }
      return z;
    },
    /declares \d+ bytes from \d+ stored bytes, more than they can hold/,
  );
  addNpz(
    'compression method 12 (bzip2)',
    () => {
      const z = zipSync({ 'image.npy': good(), 'label.npy': goodLabel() });
      const v = new DataView(z.buffer);
      for (let at = z.length - 22; at > 0; at--) if (v.getUint32(at, true) === 0x02014b50) v.setUint16(at + 10, 12, true);
      return z;
    },
    /compression method 12 is not supported/,
  );
  addNpz(
    'an invalid .npy member',
    () => zipSync({ 'image.npy': new TextEncoder().encode('not numpy'), 'label.npy': goodLabel() }),
    /member 'image\.npy': not a \.npy array/,
  );
  addNpz('no members', () => zipSync({}), /array 'image' is missing/);
  out.push(
    ...notRegularFiles({
      category: 'npy',
      prefix: '.npz ',
      ext: '.npz',
      verb: 'read',
      zero: /cannot read: it is a character device, expected a \.npz archive/,
      fifo: /cannot read: it is a FIFO \(named pipe\), expected a \.npz archive/,
      run: (file) => readSynapseSlice(file, 'x'),
      missing: false,
    }),
  );
  return out;
}

// ───────────────────────────── HDF5 ─────────────────────────────

type H5Data = Float32Array | Float64Array | Uint8Array | Int16Array | Int32Array;

/** Writes an HDF5 file with h5wasm (the real library; jest maps it in). */
export async function writeH5(
  path: string,
  datasets: Record<string, { data: H5Data | string; shape?: number[] }>,
  groups: string[] = [],
): Promise<void> {
  const h5wasm = (await importH5wasm()).default;
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w');
  try {
    for (const g of groups) f.create_group(g);
    for (const [name, { data, shape }] of Object.entries(datasets)) f.create_dataset({ name, data, ...(shape ? { shape } : {}) });
  } finally {
    f.close();
  }
}

const slice = (image: H5Data = new Float32Array(12).fill(0.5), label: H5Data = new Uint8Array(12), shape = [3, 4]) => ({
  image: { data: image, shape },
  label: { data: label, shape },
});

function h5Cases(): FuzzCase[] {
  const out: FuzzCase[] = [];
  const add = (name: string, make: (file: string) => Promise<void> | void, expect: RegExp, extra: Partial<FuzzCase> = {}) =>
    out.push({
      category: 'h5',
      name,
      expect,
      setup: async (dir) => {
        const f = join(dir, 'slice.h5');
        await make(f);
        return f;
      },
      run: (file) => readAcdcSlice(file, 'slice'),
      ...extra,
    });
  const goodBytes = async (dir: string) => {
    const f = join(dir, 'good.h5');
    await writeH5(f, slice());
    return readFileSync(f);
  };
  add('a text file', (f) => writeFileSync(f, 'image,label\n0.5,1\n'), /not an HDF5 file \(no HDF5 signature/);
  add('an empty file', (f) => writeFileSync(f, ''), /not an HDF5 file/);
  add(
    'the signature alone',
    (f) => writeFileSync(f, Uint8Array.of(0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a)),
    /the HDF5 library cannot open it \(corrupt or truncated file\?\)/,
  );
  add(
    'the signature and 1 KiB of zeros',
    (f) => {
      const b = new Uint8Array(1032);
      b.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
      writeFileSync(f, b);
    },
    /the HDF5 library cannot open it/,
  );
  for (const keep of [100, 600, 1000, 0.5]) {
    add(
      `truncated to ${keep < 1 ? 'half' : `${keep} bytes`}`,
      async (f) => {
        const b = await goodBytes(join(f, '..'));
        writeFileSync(f, b.subarray(0, keep < 1 ? b.length >> 1 : keep));
      },
      /the HDF5 library cannot open it \(corrupt or truncated file\?\): |cannot be read \(corrupt file\?\)/,
    );
  }
  add(
    'no label dataset',
    (f) => writeH5(f, { image: { data: new Float32Array(4), shape: [2, 2] } }),
    /dataset 'label' is missing \(the file has: image\)/,
  );
  add(
    'image is a group',
    (f) => writeH5(f, { label: { data: new Uint8Array(4), shape: [2, 2] } }, ['image']),
    /dataset 'image' is a Group, not a dataset/,
  );
  add(
    'image is a string',
    (f) => writeH5(f, { image: { data: 'not pixels' }, label: { data: new Uint8Array(4), shape: [2, 2] } }),
    /dataset 'image' has dtype .*, expected a numeric array/,
  );
  add(
    'a 3-D image for a slice',
    (f) => writeH5(f, slice(new Float32Array(24), new Uint8Array(24), [2, 3, 4])),
    /dataset 'image' has shape \[2, 3, 4\], expected 2-D \[H, W\]/,
  );
  add(
    'label shape differs',
    (f) => writeH5(f, { image: { data: new Float32Array(12), shape: [3, 4] }, label: { data: new Uint8Array(12), shape: [4, 3] } }),
    /dataset 'label' has shape \[4, 3\], expected 2-D \[H, W\] matching 'image' \[3, 4\]/,
  );
  add('a 2-D image for a volume', (f) => writeH5(f, slice()), /dataset 'image' has shape \[3, 4\], expected 3-D \[D, H, W\]/, {
    run: (file) => readAcdcVolume(file, 'v'),
  });
  // A 1×1 image dataset, chunked and resized to n×n: its header claims n² float32 values it does not hold.
  const imageDeclaring = (n: number) => async (f: string) => {
    const h5wasm = (await importH5wasm()).default;
    await h5wasm.ready;
    const file = new h5wasm.File(f, 'w');
    file.create_dataset({ name: 'image', data: new Float32Array(1), shape: [1, 1], maxshape: [null, null], chunks: [1, 1] }).resize([n, n]);
    file.create_dataset({ name: 'label', data: new Uint8Array(1), shape: [1, 1] });
    file.close();
  };
  add(
    'a dataset declaring 40 GB in a tiny file',
    imageDeclaring(100000),
    /dataset 'image' declares shape \[100000, 100000\] of 4-byte values \(40000000000 bytes\), more than the limit of 2147483648 bytes/,
  );
  add(
    'a dataset declaring more than the file holds',
    imageDeclaring(4000),
    /dataset 'image' declares shape \[4000, 4000\] of 4-byte values \(64000000 bytes\), more than the \d+-byte file can hold/,
  );
  out.push(
    ...notRegularFiles({
      category: 'h5',
      ext: '.h5',
      verb: 'open',
      zero: /cannot open: it is a character device; expected an HDF5 file/,
      fifo: /cannot open: it is a FIFO \(named pipe\)/,
      run: (file) => readAcdcSlice(file, 'x'),
    }),
  );
  const rnd = random(56);
  for (let i = 0; i < 30; i++) {
    const edits = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => [Math.floor(rnd() * 2048), Math.floor(rnd() * 256)] as const);
    add(
      `bytes edited ${edits.map(([a, v]) => `@${a}=${v}`).join(' ')}`,
      async (f) => {
        const b = await goodBytes(join(f, '..'));
        for (const [a, v] of edits) if (a < b.length) b[a] = v;
        writeFileSync(f, b);
      },
      EXPECTED,
      { mayPass: true },
    );
  }
  return out;
}

// ───────────────────────────── JSON configs ─────────────────────────────

function jsonCases(): FuzzCase[] {
  const out: FuzzCase[] = [];
  const add = (name: string, text: () => string | Uint8Array, expect: RegExp, run: FuzzCase['run'] = (file) => readModelConfig(file)) =>
    out.push({
      category: 'json config',
      name,
      expect,
      run,
      setup: (dir) => {
        const f = join(dir, 'config.json');
        writeFileSync(f, text());
        return f;
      },
    });
  for (const [name, depth, open, close] of [
    ['arrays 65 deep', 65, '[', ']'],
    ['arrays 1000 deep', 1000, '[', ']'],
    ['arrays 100000 deep', 100000, '[', ']'],
    ['objects 65 deep', 65, '{"a":', '}'],
    ['objects 100000 deep', 100000, '{"a":', '}'],
  ] as const) {
    add(
      `nesting: ${name}`,
      () => `{"arch": "unet", "x": ${open.repeat(depth)}1${close.repeat(depth)}}`,
      /JSON nested deeper than 64 levels \(line 1, column \d+\)/,
    );
  }
  add(
    'nesting: mixed 70 deep inside a string-heavy document',
    () => `{"s": "[[[[{{{{", "x": ${'[{"a":'.repeat(35)}1${'}]'.repeat(35)}}`,
    /JSON nested deeper than 64 levels/,
  );
  for (const [name, text, where] of [
    ['__proto__ at the root', '{"arch": "unet", "__proto__": {"numClasses": 9}}', ''],
    ['__proto__ nested', '{"arch": "unet", "x": {"y": {"__proto__": 1}}}', ' in x\\.y'],
    ['__proto__ in an array', '{"arch": "unet", "x": [{"__proto__": 1}]}', ' in x\\.0'],
    ['constructor', '{"arch": "unet", "constructor": {"prototype": 1}}', ''],
    ['prototype', '{"arch": "unet", "x": {"prototype": 1}}', ' in x'],
  ] as const)
    add(`prototype keys: ${name}`, () => text, new RegExp(`key "(__proto__|constructor|prototype)"${where} is not allowed`));
  for (const [name, text] of [
    ['empty file', ''],
    ['whitespace', '   \n'],
    ['an open brace', '{'],
    ['a missing value', '{"arch": }'],
    ['single quotes', "{'arch': 'unet'}"],
    ['a trailing comma', '{"arch": "unet",}'],
    ['NaN', 'NaN'],
    ['NaN inside', '{"numClasses": NaN}'],
    ['a comment', '// unet\n{"arch": "unet"}'],
    ['a BOM alone', '\ufeff'],
    ['an unterminated string', '{"arch": "unet'],
    ['two documents', '{} {}'],
  ] as const)
    add(`invalid JSON: ${name}`, () => text, /invalid JSON: [^\n]+$/);
  add('invalid UTF-8', () => Uint8Array.of(0x7b, 0x22, 0x61, 0xff, 0x22, 0x3a, 0x31, 0x7d), /cannot read: not valid UTF-8 text/);
  add('UTF-16 with a BOM', () => Uint8Array.of(0xff, 0xfe, 0x7b, 0, 0x7d, 0), /cannot read: not valid UTF-8 text/);
  add(
    '17 MiB',
    () => `{"arch": "unet", "pad": "${' '.repeat(17 << 20)}"}`,
    /cannot read: \d+ bytes is more than the limit of 16777216 bytes/,
  );
  for (const [name, value, field] of [
    ['an empty object', {}, 'arch'],
    ['an unknown arch', { arch: 'resnet' }, 'arch'],
    ['one class', { arch: 'unet', numClasses: 1 }, 'numClasses'],
    ['a string number', { arch: 'unet', numClasses: '4' }, 'numClasses'],
    ['a negative channel', { arch: 'unet', channels: [16, -1, 64, 128, 256] }, 'channels'],
    ['dropout 1', { arch: 'unet', dropout: [1, 0, 0, 0, 0] }, 'dropout'],
    ['an unknown key', { arch: 'unet', layers: 5 }, 'Unrecognized key'],
    ['null', null, '(root)'],
    ['an array', [{ arch: 'unet' }], '(root)'],
    ['a window that does not divide', { arch: 'swin-unet', imgSize: 50, windowSize: 7 }, ''],
  ] as const)
    add(`model config: ${name}`, () => JSON.stringify(value), new RegExp(`invalid model config[\\s\\S]*${field.replace(/[()]/g, '\\$&')}`));
  const dataset = (file: string) => loadNiftiDataset(file);
  for (const [name, value, field] of [
    ['no cases', { groups: { 1: [1] }, cases: [] }, 'cases'],
    [
      'a group key that is not a class',
      { groups: { a: [1] }, cases: [{ id: 'a', image: 'a.nii', label: 'b.nii', split: 'train' }] },
      'groups',
    ],
    ['axis 3', { axis: 3, groups: { 1: [1] }, cases: [{ id: 'a', image: 'a.nii', label: 'b.nii', split: 'train' }] }, 'axis'],
    [
      'an unknown key',
      { groups: { 1: [1] }, cases: [{ id: 'a', image: 'a.nii', label: 'b.nii', split: 'train' }], extra: 1 },
      'Unrecognized key',
    ],
    ['a string range', { groups: { 1: [1] }, cases: [{ id: 'a', image: 'a.nii', label: 'b.nii', split: 'train', range: '0-4' }] }, 'range'],
  ] as const)
    add(`data-set config: ${name}`, () => JSON.stringify(value), new RegExp(`NIfTI dataset config .*: .*${field}`), dataset);
  add(
    'data-set config: __proto__',
    () => '{"groups": {"1": [1]}, "cases": [], "__proto__": {"root": "/"}}',
    /key "__proto__" is not allowed/,
    dataset,
  );
  add(
    'data-set config: 100000 deep',
    () => `{"groups": ${'['.repeat(100000)}${']'.repeat(100000)}}`,
    /JSON nested deeper than 64 levels/,
    dataset,
  );
  out.push(
    ...notRegularFiles({
      category: 'json config',
      ext: '.json',
      verb: 'read',
      zero: /cannot read: it is a character device, expected a regular JSON file/,
      fifo: /cannot read: it is a FIFO \(named pipe\)/,
      run: (f) => readModelConfig(f),
    }),
  );
  return out;
}

// ───────────────────────────── lists and paths ─────────────────────────────

/** An ACDC root with one valid slice and volume, and a folder beside it with a "secret". */
async function acdcRoot(dir: string): Promise<{ root: string; outside: string }> {
  const root = join(dir, 'ACDC');
  const outside = join(dir, 'outside');
  mkdirSync(join(root, 'data', 'slices'), { recursive: true });
  mkdirSync(outside);
  await writeH5(join(root, 'data', 'slices', 'p1_slice_0.h5'), slice());
  await writeH5(join(outside, 'secret.h5'), slice());
  const volume = slice(new Float32Array(24).fill(0.5), new Uint8Array(24), [2, 3, 4]);
  await writeH5(join(root, 'data', 'p1.h5'), volume);
  await writeH5(join(outside, 'volume.h5'), volume);
  writeFileSync(join(root, 'train_slices.list'), 'p1_slice_0\n');
  writeFileSync(join(root, 'val.list'), 'p1\n');
  writeFileSync(join(root, 'test.list'), 'p1\n');
  return { root, outside };
}

function pathCases(): FuzzCase[] {
  const out: FuzzCase[] = [];
  const cat = 'acdc lists/paths';
  const entry = (
    name: string,
    line: string,
    expect: RegExp,
    list = 'train_slices.list',
    prepare?: (root: string, outside: string) => void,
  ) =>
    out.push({
      category: cat,
      name,
      expect,
      posix: prepare !== undefined,
      setup: async (dir) => {
        const { root, outside } = await acdcRoot(dir);
        prepare?.(root, outside);
        writeFileSync(join(root, list), `${list === 'train_slices.list' ? 'p1_slice_0' : 'p1'}\n${line}\n`);
        return join(root, list);
      },
      run: (file) => loadAcdc(join(file, '..'), { volumes: list !== 'train_slices.list' }),
    });
  const escapes = /resolves to .*outside the data folder .*ACDC; expected a path inside the data folder/;
  entry('train entry ../../../outside/secret', '../../../outside/secret', escapes);
  entry('train entry ../../../../etc/passwd', '../../../../etc/passwd', escapes);
  entry('train entry x/../../../../outside/secret', 'x/../../../../outside/secret', escapes);
  entry('train entry ../../../outside/../outside/secret', '../../../outside/../outside/secret', escapes);
  entry('val entry ../../outside/volume', '../../outside/volume', escapes, 'val.list');
  entry('test entry ../../outside/volume', '../../outside/volume', escapes, 'test.list');
  entry(
    'a slice symlinked out',
    'link',
    /entry "link" is a symlink to .*outside\/secret\.h5, outside the data folder/,
    'train_slices.list',
    (root, outside) => symlinkSync(join(outside, 'secret.h5'), join(root, 'data', 'slices', 'link.h5')),
  );
  entry(
    'a folder symlinked out',
    'sub/secret',
    /entry "sub\/secret" is a symlink to .*outside\/secret\.h5/,
    'train_slices.list',
    (root, outside) => symlinkSync(outside, join(root, 'data', 'slices', 'sub')),
  );
  entry('a chain of symlinks out', 'a', /entry "a" is a symlink to .*outside\/secret\.h5/, 'train_slices.list', (root, outside) => {
    symlinkSync(join(outside, 'secret.h5'), join(root, 'data', 'b.h5'));
    symlinkSync(join(root, 'data', 'b.h5'), join(root, 'data', 'slices', 'a.h5'));
  });
  entry('a volume symlinked out', 'v', /entry "v" is a symlink to .*outside\/volume\.h5/, 'val.list', (root, outside) =>
    symlinkSync(join(outside, 'volume.h5'), join(root, 'data', 'v.h5')),
  );
  entry('an entry with a NUL', 'p1\u0000../../x', /contains a NUL character, expected a file name/);
  const list = (name: string, make: (file: string) => void, expect: RegExp, posix = true) =>
    out.push({
      category: cat,
      name,
      expect,
      posix,
      setup: async (dir) => {
        const { root } = await acdcRoot(dir);
        const f = join(root, 'train_slices.list');
        make(f);
        return f;
      },
      run: (file) => loadAcdc(join(file, '..'), { volumes: false }),
    });
  const rm = (f: string) => execFileSync('rm', ['-f', f]);
  list(
    'the list is a FIFO',
    (f) => {
      rm(f);
      execFileSync('mkfifo', [f]);
    },
    /list file .*: cannot read: it is a FIFO \(named pipe\), expected a text file, one name a line/,
  );
  list(
    'the list is /dev/zero',
    (f) => {
      rm(f);
      symlinkSync('/dev/zero', f);
    },
    /cannot read: it is a character device/,
  );
  list(
    'the list is a directory',
    (f) => {
      rm(f);
      mkdirSync(f);
    },
    /cannot read: it is a directory/,
  );
  list('the list is empty', (f) => writeFileSync(f, '\n\n'), /is empty, expected one name a line/, false);
  list('the list is not UTF-8', (f) => writeFileSync(f, Uint8Array.of(0x70, 0xff, 0x0a)), /cannot read: not valid UTF-8 text/, false);
  list('the list is missing', (f) => rm(f), /cannot read: ENOENT/, false);
  out.push(
    {
      category: cat,
      name: 'Synapse list entry ../../outside/secret',
      expect: /list file .*train\.txt: entry "\.\.\/\.\.\/outside\/secret" resolves to .*, outside the data folder/,
      setup: (dir) => {
        const root = join(dir, 'Synapse');
        mkdirSync(join(root, 'train_npz'), { recursive: true });
        mkdirSync(join(root, 'lists'));
        writeFileSync(join(root, 'lists', 'train.txt'), '../../outside/secret\n');
        return join(root, 'lists', 'train.txt');
      },
      run: (file) => loadSynapse(join(file, '../..'), { listDir: join(file, '..'), volumes: false }),
    },
    {
      category: cat,
      name: 'Synapse slice symlinked out of the folder',
      posix: true,
      expect: /Synapse folder .*train_npz: entry "s" is a symlink to .*outside\/s\.npz/,
      setup: (dir) => {
        const root = join(dir, 'Synapse');
        mkdirSync(join(root, 'train_npz'), { recursive: true });
        mkdirSync(join(dir, 'outside'));
        writeFileSync(join(dir, 'outside', 's.npz'), zipSync({}));
        symlinkSync(join(dir, 'outside', 's.npz'), join(root, 'train_npz', 's.npz'));
        return join(root, 'train_npz');
      },
      run: (file) => loadSynapse(join(file, '..'), { volumes: false }),
    },
  );
  const dataset = (
    name: string,
    image: (dir: string) => string,
    expect: RegExp,
    prepare?: (dir: string) => void,
    field: 'image' | 'label' = 'image',
  ) =>
    out.push({
      category: cat,
      name: `NIfTI data set: ${name}`,
      expect,
      posix: prepare !== undefined,
      setup: async (dir) => {
        mkdirSync(join(dir, 'task'));
        mkdirSync(join(dir, 'elsewhere'));
        const vol = nii();
        writeFileSync(join(dir, 'task', 'img.nii'), vol);
        writeFileSync(join(dir, 'task', 'seg.nii'), vol);
        writeFileSync(join(dir, 'elsewhere', 'img.nii'), vol);
        prepare?.(dir);
        const c = { id: 'a', image: 'img.nii', label: 'seg.nii', split: 'train', [field]: image(dir) };
        const file = join(dir, 'task', 'task.json');
        writeFileSync(file, JSON.stringify({ groups: { 1: [1] }, intensity: 'none', cases: [c] }));
        return file;
      },
      run: (file) => loadNiftiDataset(file),
    });
  dataset(
    'image ../elsewhere/img.nii',
    () => '../elsewhere/img.nii',
    /case "a" image "\.\.\/elsewhere\/img\.nii" resolves to .*, outside the data folder/,
  );
  dataset(
    'an absolute image path outside',
    (dir) => join(dir, 'elsewhere', 'img.nii'),
    /case "a" image ".*elsewhere\/img\.nii" resolves to .*, outside the data folder/,
  );
  dataset(
    'label ../../../etc/passwd',
    () => '../../../etc/passwd',
    /case "a" label "\.\.\/\.\.\/\.\.\/etc\/passwd" resolves to/,
    undefined,
    'label',
  );
  dataset(
    'an image symlinked out',
    () => 'link.nii',
    /case "a" image "link\.nii" is a symlink to .*elsewhere\/img\.nii, outside the data folder/,
    (dir) => symlinkSync(join(dir, 'elsewhere', 'img.nii'), join(dir, 'task', 'link.nii')),
  );
  return out;
}

// ───────────────────────────── labels and images ─────────────────────────────

function valueCases(): FuzzCase[] {
  const out: FuzzCase[] = [];
  const acdc = (category: Category, name: string, image: H5Data, label: H5Data, expect: RegExp, volume = false) =>
    out.push({
      category,
      name: `ACDC ${volume ? 'volume' : 'slice'}: ${name}`,
      expect,
      setup: async (dir) => {
        const f = join(dir, 'x.h5');
        await writeH5(f, volume ? slice(image, label, [2, 3, 4]) : slice(image, label));
        return f;
      },
      run: (file) => (volume ? readAcdcVolume(file, 'x') : readAcdcSlice(file, 'x')),
    });
  const fill = <T extends H5Data>(a: T, at: number, v: number) => {
    a[at] = v;
    return a;
  };
  // Labels: class indices in 0 … 3 (ACDC), 0 … 8 (Synapse).
  acdc(
    'labels',
    'label 4',
    new Float32Array(12),
    fill(new Uint8Array(12), 5, 4),
    /dataset 'label': label value 4 at y 1, x 1 is out of range, expected 0 … 3/,
  );
  acdc('labels', 'label 255', new Float32Array(12), fill(new Uint8Array(12), 11, 255), /label value 255 at y 2, x 3 is out of range/);
  acdc(
    'labels',
    'float label 1.5',
    new Float32Array(12),
    fill(new Float32Array(12), 2, 1.5),
    /label value 1\.5 at y 0, x 2 is not a class index/,
  );
  acdc(
    'labels',
    'float label NaN',
    new Float32Array(12),
    fill(new Float32Array(12), 0, NaN),
    /label value NaN at y 0, x 0 is not a class index/,
  );
  acdc(
    'labels',
    'float label -1',
    new Float32Array(12),
    fill(new Float32Array(12), 7, -1),
    /label value -1 at y 1, x 3 is not a class index/,
  );
  acdc(
    'labels',
    'float label 1e10',
    new Float32Array(12),
    fill(new Float32Array(12), 4, 1e10),
    /label value 10000000000 at y 1, x 0 is not a class index/,
  );
  acdc('labels', 'float label Infinity', new Float32Array(12), fill(new Float32Array(12), 9, Infinity), /label value Infinity at y 2, x 1/);
  acdc('labels', 'float64 label 2.5', new Float32Array(12), fill(new Float64Array(12), 3, 2.5), /label value 2\.5 at y 0, x 3/);
  acdc('labels', 'int16 label -3', new Float32Array(12), fill(new Int16Array(12), 6, -3), /label value -3 at y 1, x 2/);
  acdc('labels', 'int32 label 300', new Float32Array(12), fill(new Int32Array(12), 1, 300), /label value 300 at y 0, x 1/);
  acdc(
    'labels',
    'label 7 in slice 1',
    new Float32Array(24),
    fill(new Uint8Array(24), 12 + 5, 7),
    /label value 7 at slice 1, y 1, x 1 is out of range/,
    true,
  );
  // Images: finite.
  acdc(
    'images',
    'NaN',
    fill(new Float32Array(12).fill(0.5), 10, NaN),
    new Uint8Array(12),
    /dataset 'image': value NaN at y 2, x 2 is not finite, expected finite numbers/,
  );
  acdc(
    'images',
    'Infinity',
    fill(new Float32Array(12).fill(0.5), 0, Infinity),
    new Uint8Array(12),
    /value Infinity at y 0, x 0 is not finite/,
  );
  acdc(
    'images',
    '-Infinity',
    fill(new Float32Array(12).fill(0.5), 11, -Infinity),
    new Uint8Array(12),
    /value -Infinity at y 2, x 3 is not finite/,
  );
  acdc('images', 'float64 NaN', fill(new Float64Array(12).fill(0.5), 6, NaN), new Uint8Array(12), /value NaN at y 1, x 2 is not finite/);
  acdc(
    'images',
    'NaN in slice 1',
    fill(new Float32Array(24).fill(0.5), 12 + 7, NaN),
    new Uint8Array(24),
    /value NaN at slice 1, y 1, x 3 is not finite/,
    true,
  );
  const synapse = (category: Category, name: string, image: Float32Array, label: Float32Array, expect: RegExp) =>
    out.push({
      category,
      name: `Synapse slice: ${name}`,
      expect,
      setup: (dir) => {
        const f = join(dir, 'case0001_slice000.npz');
        const bytes = (a: Float32Array) => npy(header('<f4', '(3, 4)'), new Uint8Array(a.buffer));
        writeFileSync(f, zipSync({ 'image.npy': bytes(image), 'label.npy': bytes(label) }));
        return f;
      },
      run: (file) => readSynapseSlice(file, 'case0001_slice000'),
    });
  synapse(
    'labels',
    'label 9',
    new Float32Array(12),
    fill(new Float32Array(12), 2, 9),
    /array 'label': label value 9 at y 0, x 2 is out of range, expected 0 … 8/,
  );
  synapse(
    'labels',
    'label 2.5',
    new Float32Array(12),
    fill(new Float32Array(12), 5, 2.5),
    /label value 2\.5 at y 1, x 1 is not a class index/,
  );
  synapse('labels', 'label NaN', new Float32Array(12), fill(new Float32Array(12), 0, NaN), /label value NaN at y 0, x 0/);
  synapse('labels', 'label -1', new Float32Array(12), fill(new Float32Array(12), 11, -1), /label value -1 at y 2, x 3/);
  synapse('images', 'NaN', fill(new Float32Array(12), 4, NaN), new Float32Array(12), /array 'image': value NaN at y 1, x 0 is not finite/);
  synapse('images', 'Infinity', fill(new Float32Array(12), 3, Infinity), new Float32Array(12), /value Infinity at y 0, x 3 is not finite/);
  out.push({
    category: 'images',
    name: 'Synapse volume: NaN',
    expect: /dataset 'image': value NaN at slice 1, y 0, x 0 is not finite/,
    setup: async (dir) => {
      const f = join(dir, 'case0001.npy.h5');
      await writeH5(f, slice(fill(new Float32Array(24), 12, NaN), new Float32Array(24), [2, 3, 4]));
      return f;
    },
    run: (file) => readSynapseVolume(file, 'case0001'),
  });
  // NIfTI data sets: labels whole numbers, images finite.
  const niftiSet = (category: Category, name: string, image: Float32Array, label: Float32Array, which: 'image' | 'label', expect: RegExp) =>
    out.push({
      category,
      name: `NIfTI data set: ${name}`,
      expect,
      setup: async (dir) => {
        writeFileSync(join(dir, 'img.nii'), encodeNifti(image, { dims: [4, 3, 2] }));
        writeFileSync(join(dir, 'seg.nii'), encodeNifti(label, { dims: [4, 3, 2] }));
        return join(dir, which === 'image' ? 'img.nii' : 'seg.nii');
      },
      run: (_, dir) =>
        buildNiftiDataset({ groups: { 1: [1] }, cases: [{ id: 'a', image: 'img.nii', label: 'seg.nii', split: 'train' }] }, dir),
    });
  const at = (i: number, j: number, k: number) => i + 4 * (j + 3 * k);
  niftiSet(
    'labels',
    'label 1.5',
    new Float32Array(24),
    fill(new Float32Array(24), at(1, 2, 1), 1.5),
    'label',
    /label value 1\.5 at voxel \(1, 2, 1\) \(slice 1 along axis 2\) is not a whole number/,
  );
  niftiSet(
    'labels',
    'label NaN',
    new Float32Array(24),
    fill(new Float32Array(24), at(0, 0, 0), NaN),
    'label',
    /label value NaN at voxel \(0, 0, 0\)/,
  );
  niftiSet(
    'labels',
    'label Infinity',
    new Float32Array(24),
    fill(new Float32Array(24), at(3, 2, 1), Infinity),
    'label',
    /label value Infinity at voxel \(3, 2, 1\)/,
  );
  niftiSet(
    'labels',
    'label -0.5',
    new Float32Array(24),
    fill(new Float32Array(24), at(2, 0, 1), -0.5),
    'label',
    /label value -0\.5 at voxel \(2, 0, 1\)/,
  );
  niftiSet(
    'images',
    'NaN',
    fill(new Float32Array(24), at(1, 1, 0), NaN),
    new Float32Array(24),
    'image',
    /image value NaN at voxel \(1, 1, 0\) \(slice 0 along axis 2\) is not finite/,
  );
  niftiSet(
    'images',
    '-Infinity',
    fill(new Float32Array(24), at(3, 0, 1), -Infinity),
    new Float32Array(24),
    'image',
    /image value -Infinity at voxel \(3, 0, 1\)/,
  );
  out.push({
    category: 'images',
    name: 'NIfTI data set: scl_slope overflows float32',
    expect: /image value Infinity at voxel \(0, 0, 0\)/,
    setup: (dir) => {
      const img = encodeNifti(
        Int16Array.from({ length: 24 }, () => 30000),
        { dims: [4, 3, 2] },
      );
      new DataView(img.buffer).setFloat32(112, 1e38, true);
      writeFileSync(join(dir, 'img.nii'), img);
      writeFileSync(join(dir, 'seg.nii'), encodeNifti(new Uint8Array(24), { dims: [4, 3, 2] }));
      return join(dir, 'img.nii');
    },
    run: (_, dir) =>
      buildNiftiDataset({ groups: { 1: [1] }, cases: [{ id: 'a', image: 'img.nii', label: 'seg.nii', split: 'train' }] }, dir),
  });
  // predictFile: non-finite voxels name the voxel.
  for (const [name, value, ijk] of [
    ['NaN', NaN, [2, 1, 0]],
    ['Infinity', Infinity, [0, 3, 1]],
  ] as const) {
    out.push({
      category: 'images',
      name: `predict: a ${name} voxel`,
      expect: new RegExp(`voxel \\(${ijk.join(', ')}\\) is ${name}, expected finite values`),
      outputs: ['out'],
      setup: (dir) => {
        const data = new Float32Array(8 * 8 * 2).fill(1);
        data[ijk[0] + 8 * (ijk[1] + 8 * ijk[2])] = value;
        const f = join(dir, 'scan.nii');
        writeFileSync(f, encodeNifti(data, { dims: [8, 8, 2] }));
        return f;
      },
      run: (file, dir, env) =>
        predictFile({ models: [env.model], input: file, out: join(dir, 'out', 'labels.nii.gz'), png: join(dir, 'out', 'png') }),
    });
  }
  return out;
}

// ───────────────────────────── outputs ─────────────────────────────

function outputCases(): FuzzCase[] {
  const out: FuzzCase[] = [];
  const add = (
    name: string,
    targets: (dir: string) => { out: string; probabilities?: string; png?: string; blocker: string },
    expect: RegExp,
  ) =>
    out.push({
      category: 'outputs',
      name: `predict: ${name}`,
      expect,
      outputs: ['result'],
      setup: (dir) => {
        writeFileSync(
          join(dir, 'scan.nii'),
          encodeNifti(
            Float32Array.from({ length: 8 * 8 * 3 }, (_, i) => Math.sin(i)),
            { dims: [8, 8, 3] },
          ),
        );
        const t = targets(dir);
        writeFileSync(t.blocker, 'a file in the way');
        return t.blocker;
      },
      run: (_, dir, env) => {
        const t = targets(dir);
        return predictFile({
          models: [env.model],
          input: join(dir, 'scan.nii'),
          out: t.out,
          ...(t.probabilities ? { probabilities: t.probabilities } : {}),
          ...(t.png ? { png: t.png } : {}),
        });
      },
    });
  add(
    'the overlay folder is a file',
    (d) => ({ out: join(d, 'result', 'labels.nii.gz'), png: join(d, 'png-file'), blocker: join(d, 'png-file') }),
    /PNG folder .*: exists and is not a folder/,
  );
  add(
    'the overlay folder cannot be created',
    (d) => ({ out: join(d, 'result', 'labels.nii.gz'), png: join(d, 'blocker', 'png'), blocker: join(d, 'blocker') }),
    /PNG folder .*: cannot create folder/,
  );
  add(
    'the probabilities cannot be written',
    (d) => ({
      out: join(d, 'result', 'labels.nii'),
      probabilities: join(d, 'blocker', 'p.nii.gz'),
      png: join(d, 'result', 'png'),
      blocker: join(d, 'blocker'),
    }),
    /NIfTI file .*p\.nii\.gz: cannot create folder/,
  );
  add(
    'the labels cannot be written',
    (d) => ({ out: join(d, 'blocker', 'labels.nii'), png: join(d, 'result', 'png'), blocker: join(d, 'blocker') }),
    /NIfTI file .*labels\.nii: cannot create folder/,
  );
  return out;
}

/** Every case, in category order. */
export function corpus(): FuzzCase[] {
  return [
    ...safetensorsCases(),
    ...niftiCases(),
    ...npyCases(),
    ...h5Cases(),
    ...jsonCases(),
    ...pathCases(),
    ...valueCases(),
    ...outputCases(),
  ];
}

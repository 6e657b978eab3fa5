import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensorsHeaderFile } from '../src/io';
import {
  decodeSafetensors,
  decodeSafetensorsHeader,
  encodeSafetensors,
  SAFETENSORS_MAX_HEADER_BYTES,
  type NamedTensor,
} from '../src/safetensors';

/** A safetensors file from a header object (or raw header text) and a data section. */
function file(header: unknown, data: Uint8Array | number = 0): Uint8Array {
  const json = typeof header === 'string' ? header : JSON.stringify(header);
  const h = new TextEncoder().encode(json);
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

test('round trip of every stored dtype, metadata included', () => {
  const tensors = new Map<string, NamedTensor>([
    ['w', { dtype: 'float32', shape: [2, 2], data: Float32Array.of(1, -2, 3.5, 0) }],
    ['step', { dtype: 'int64', shape: [], data: BigInt64Array.of(7n) }],
    ['mask', { dtype: 'bool', shape: [3], data: Uint8Array.of(1, 0, 1) }],
  ]);
  const back = decodeSafetensors(encodeSafetensors(tensors, { format: 'pt' }), 'rt.safetensors');
  expect(back.metadata).toEqual({ format: 'pt' });
  expect([...back.tensors.keys()]).toEqual(['w', 'step', 'mask']);
  expect(Array.from(back.tensors.get('w')!.data as Float32Array)).toEqual([1, -2, 3.5, 0]);
  expect(back.tensors.get('step')!.data).toEqual(BigInt64Array.of(7n));
});

test('F16, BF16, F64 load as float32; I32 as int64; ranges may be listed in any order', () => {
  const data = new Uint8Array(2 + 2 + 8 + 4);
  const v = new DataView(data.buffer);
  v.setUint16(0, 0x3c00, true); // F16 1.0
  v.setUint16(2, 0x4040, true); // BF16 3.0
  v.setFloat64(4, -0.5, true);
  v.setInt32(12, -9, true);
  const header = {
    d: { dtype: 'F64', shape: [1], data_offsets: [4, 12] },
    i: { dtype: 'I32', shape: [1], data_offsets: [12, 16] },
    h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] },
    b: { dtype: 'BF16', shape: [], data_offsets: [2, 4] },
  };
  const { tensors } = decodeSafetensors(file(header, data), 'mixed');
  expect(tensors.get('h')!.data[0]).toBe(1);
  expect(tensors.get('b')!.data[0]).toBe(3);
  expect(tensors.get('d')!.data[0]).toBe(-0.5);
  expect(tensors.get('i')!.data[0]).toBe(-9n);
});

describe('invalid files are refused before anything is allocated, naming the file and what was expected', () => {
  const CASES: [string, Uint8Array, RegExp][] = [
    ['too short', Uint8Array.of(1, 2, 3), /3 bytes is shorter than the 8-byte header length/],
    [
      'a header length past the file',
      (() => {
        const b = file({});
        new DataView(b.buffer).setBigUint64(0, 1000n, true);
        return b;
      })(),
      /header length 1000 exceeds the file size/,
    ],
    [
      'a header length over the limit',
      (() => {
        const b = file({});
        new DataView(b.buffer).setBigUint64(0, 2n ** 63n, true);
        return b;
      })(),
      new RegExp(`exceeds the limit of ${SAFETENSORS_MAX_HEADER_BYTES} bytes`),
    ],
    [
      'a header that is not UTF-8',
      (() => {
        const b = file('{"a":1}');
        b[9] = 0xff;
        return b;
      })(),
      /header is not valid UTF-8/,
    ],
    ['a header that is a JSON array', file([1, 2]), /header starts with "\[1,2\]", expected a JSON object/],
    ['a header that is not JSON', file('{"a": '), /header is not JSON/],
    ['a null entry', file({ w: null }), /tensor 'w' is null, expected an object \{dtype, shape, data_offsets\}/],
    ['an array entry', file({ w: [1] }), /tensor 'w' is an array \[1\], expected an object/],
    ['no data_offsets', file({ w: { dtype: 'F32', shape: [1] } }, 4), /tensor 'w' has data_offsets missing, expected \[begin, end\]/],
    [
      'fractional offsets',
      file({ w: f32([1], 0.5, 4.5) }, 5),
      /tensor 'w' has data_offsets an array \[0.5,4.5\], expected \[begin, end\], two non-negative integers/,
    ],
    ['negative offsets (into the header)', file({ w: f32([1], -4, 0) }, 4), /tensor 'w' has data_offsets an array \[-4,0\]/],
    ['begin after end', file({ w: f32([0], 4, 0) }, 4), /data_offsets \[4, 0\], expected begin ≤ end/],
    ['offsets past the data', file({ w: f32([4], 0, 16) }, 8), /data_offsets \[0, 16\] past the end of the 8-byte data/],
    [
      'a range shorter than dtype × shape',
      file({ w: f32([4], 0, 8) }, 8),
      /shape \[4\] of F32 \(16 bytes\), but data_offsets \[0, 8\] hold 8 bytes/,
    ],
    ['a huge shape', file({ w: f32([2 ** 40, 2 ** 40], 0, 4) }, 4), /shape \[1099511627776, 1099511627776\] of F32/],
    ['a negative shape', file({ w: f32([-1], 0, 4) }, 4), /has shape an array \[-1\], expected an array of non-negative integers/],
    [
      'overlapping ranges',
      file({ a: f32([2], 0, 8), b: f32([1], 4, 8) }, 8),
      /tensor 'b' at data_offsets \[4, 8\] overlaps tensor 'a' at \[0, 8\]/,
    ],
    ['the same range twice', file({ a: f32([1], 0, 4), b: f32([1], 0, 4) }, 4), /overlaps/],
    ['a gap', file({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, 12), /bytes 4 … 8 of the data belong to no tensor/],
    ['trailing data', file({ a: f32([1], 0, 4) }, 8), /the data holds 8 bytes but the tensors cover 4/],
    ['an unknown dtype', file({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, 8), /tensor 'w' has dtype C64; expected F32, F64/],
    ['a dtype that is not a string', file({ w: { dtype: 4, shape: [1], data_offsets: [0, 4] } }, 4), /has dtype number 4/],
    [
      'a __proto__ key',
      file('{"__proto__": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', 4),
      /header key '__proto__' is not allowed/,
    ],
    ['metadata that is not strings', file({ __metadata__: { a: 1 } }), /__metadata__\.a is number 1, expected a string/],
  ];
  test.each(CASES)('%s', (_, bytes, message) => {
    expect(() => decodeSafetensors(bytes, 'w.safetensors')).toThrow(message);
    expect(() => decodeSafetensors(bytes, 'w.safetensors')).toThrow(/^w\.safetensors: not a valid safetensors file: /);
  });
});

describe('expect: the dtype the model needs', () => {
  const bytes = file({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] }, m: { dtype: 'BOOL', shape: [1], data_offsets: [8, 9] } }, 9);
  test('I64 where float32 is expected names the tensor', () => {
    expect(() => decodeSafetensors(bytes, 'w.safetensors', { expect: new Map([['w', 'float32' as const]]) })).toThrow(
      "w.safetensors: tensor 'w' has dtype I64, which loads as int64, but the model expects float32 (F32, F64, F16 or BF16)",
    );
  });
  test('BOOL where float32 is expected, as a function', () => {
    expect(() => decodeSafetensors(bytes, 'w.safetensors', { expect: (name) => (name === 'm' ? 'float32' : undefined) })).toThrow(
      /tensor 'm' has dtype BOOL, which loads as bool/,
    );
  });
  test('matching types and unknown names pass', () => {
    const { tensors } = decodeSafetensors(bytes, 'w.safetensors', {
      expect: new Map([
        ['w', 'int64' as const],
        ['m', 'bool' as const],
      ]),
    });
    expect(tensors.size).toBe(2);
  });
});

describe('the header alone (decodeSafetensorsHeader, readSafetensorsHeaderFile)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcsc-st-header-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('gives every tensor the full decoder gives, without the data', () => {
    const tensors = new Map<string, NamedTensor>([
      ['w', { dtype: 'float32', shape: [2, 3], data: new Float32Array(6) }],
      ['step', { dtype: 'int64', shape: [], data: BigInt64Array.of(7n) }],
    ]);
    const path = join(dir, 'small.safetensors');
    writeFileSync(path, encodeSafetensors(tensors, { format: 'pt' }));
    const header = readSafetensorsHeaderFile(path);
    expect(header.metadata).toEqual({ format: 'pt' });
    expect([...header.entries.values()].map((e) => [e.name, e.dtype, e.loadsAs, e.shape])).toEqual([
      ['w', 'F32', 'float32', [2, 3]],
      ['step', 'I64', 'int64', []],
    ]);
  });

  test("reads only the header: a 1 GiB tensor's shape without 1 GiB of memory", () => {
    const bytes = 2 ** 30;
    const prefix = file({ big: f32([2 ** 28], 0, bytes) });
    const path = join(dir, 'big.safetensors');
    writeFileSync(path, prefix);
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, prefix.length + bytes); // sparse: no disk, and reading it would allocate 1 GiB
    closeSync(fd);
    const before = process.memoryUsage().arrayBuffers;
    expect(readSafetensorsHeaderFile(path).entries.get('big')!.shape).toEqual([2 ** 28]);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 ** 20);
  });

  test('checks the ranges against the file size, and names the file', () => {
    const path = join(dir, 'short.safetensors');
    writeFileSync(path, file({ w: f32([4], 0, 16) }, 8)); // 8 of the 16 data bytes
    expect(() => readSafetensorsHeaderFile(path)).toThrow(
      /short\.safetensors: not a valid safetensors file: tensor 'w' has data_offsets \[0, 16\] past the end of the 8-byte data/,
    );
    const liar = join(dir, 'liar.safetensors');
    const bytes = file({ w: f32([1], 0, 4) }, 4);
    new DataView(bytes.buffer).setBigUint64(0, 1_000_000n, true);
    writeFileSync(liar, bytes);
    expect(() => readSafetensorsHeaderFile(liar)).toThrow(
      /liar\.safetensors: not a valid safetensors file: header length 1000000 exceeds the file size/,
    );
    expect(() => decodeSafetensorsHeader(file({ w: f32([1], 0, 4) }, 4).subarray(0, 12), 100, 'x')).toThrow(
      /given 12 bytes, fewer than the/,
    );
  });
});

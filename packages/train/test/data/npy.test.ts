import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { parseNpy, parseNpz, readNpz } from '../../src/data/npy';
import { npyBytes, tempDir } from './helpers';

const dir = tempDir('npy');

describe('parseNpy', () => {
  const CASES: [string, ArrayBufferView, number[], (a: ArrayLike<number | bigint>) => unknown[]][] = [
    ['<f4', Float32Array.from([0.5, -1.25, 3, 4, 5, 6]), [2, 3], (a) => Array.from(a)],
    ['<f8', Float64Array.from([1e-300, 2, 3]), [3], (a) => Array.from(a)],
    ['|u1', Uint8Array.from([0, 1, 2, 255]), [2, 2], (a) => Array.from(a)],
    ['|i1', Int8Array.from([-128, 127]), [2], (a) => Array.from(a)],
    ['<i2', Int16Array.from([-2, 30000]), [1, 2], (a) => Array.from(a)],
    ['<u2', Uint16Array.from([65535, 1]), [2], (a) => Array.from(a)],
    ['<i4', Int32Array.from([-7, 7]), [2], (a) => Array.from(a)],
    ['<i8', BigInt64Array.from([-5n, 1n << 40n]), [2], (a) => Array.from(a)],
  ];
  test.each(CASES)('%s', (descr, data, shape, values) => {
    const arr = parseNpy(npyBytes(descr, shape, data), 'x.npy');
    expect(arr.shape).toEqual(shape);
    expect(arr.descr).toBe(descr);
    expect(values(arr.data as ArrayLike<number>)).toEqual(values(data as unknown as ArrayLike<number>));
  });

  test('fortran order is returned in C order', () => {
    // C-order [[1, 2, 3], [4, 5, 6]] stored column by column.
    const arr = parseNpy(npyBytes('<f4', [2, 3], Float32Array.from([1, 4, 2, 5, 3, 6]), true), 'f.npy');
    expect(Array.from(arr.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    const cube = parseNpy(npyBytes('|u1', [2, 2, 2], Uint8Array.from([0, 4, 2, 6, 1, 5, 3, 7]), true), 'c.npy');
    expect(Array.from(cube.data as Uint8Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('big-endian, bool and float16', () => {
    const be = new Uint8Array([0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0]); // 1.0, -2.0
    expect(Array.from(parseNpy(npyBytes('>f4', [2], be), 'be.npy').data as Float32Array)).toEqual([1, -2]);
    expect(Array.from(parseNpy(npyBytes('|b1', [3], Uint8Array.from([1, 0, 1])), 'b.npy').data as Uint8Array)).toEqual([1, 0, 1]);
    const half = Uint16Array.from([0x3c00, 0xc000, 0x3555, 0x0001]); // 1, -2, ≈1/3, smallest subnormal
    const f = parseNpy(npyBytes('<f2', [4], half), 'h.npy').data as Float32Array;
    expect(f[0]).toBe(1);
    expect(f[1]).toBe(-2);
    expect(f[2]).toBeCloseTo(1 / 3, 3);
    expect(f[3]).toBeCloseTo(2 ** -24, 12);
  });

  test('version 2.0 headers', () => {
    const v1 = npyBytes('<f4', [2], Float32Array.from([7, 8]));
    const headerLength = new DataView(v1.buffer).getUint16(8, true);
    const v2 = new Uint8Array(v1.length + 2);
    v2.set(v1.subarray(0, 8));
    v2[6] = 2;
    new DataView(v2.buffer).setUint32(8, headerLength, true);
    v2.set(v1.subarray(10), 12);
    expect(Array.from(parseNpy(v2, 'v2.npy').data as Float32Array)).toEqual([7, 8]);
  });

  test.each([
    [
      'bad magic',
      () => new TextEncoder().encode('PK\u0003\u0004 not numpy at all'),
      /bad\.npy: not a \.npy array: starts with "PK\\x03\\x04 n", expected "\\x93NUMPY"/,
    ],
    [
      'truncated data',
      () => npyBytes('<f4', [4, 4], new Float32Array(16)).subarray(0, 150),
      /bad\.npy: \.npy shape \(4, 4\) of '<f4' needs 64 data bytes, the file has 22/,
    ],
    ['complex dtype', () => npyBytes('<c8', [1], new Float32Array(2)), /bad\.npy: \.npy dtype '<c8' is not supported/],
    ['object dtype', () => npyBytes('|O', [1], new Uint8Array(8)), /bad\.npy: \.npy dtype '\|O' is not supported/],
  ])('%s is a clear error', (_, bytes, message) => {
    expect(() => parseNpy(bytes(), 'bad.npy')).toThrow(message);
  });
});

describe('npz archives', () => {
  test('stored and deflated members written by fflate', async () => {
    for (const level of [0, 6] as const) {
      const zip = zipSync(
        {
          'image.npy': npyBytes('<f4', [2, 2], Float32Array.from([0.1, 0.2, 0.3, 0.4])),
          'label.npy': npyBytes('|u1', [2, 2], Uint8Array.from([0, 1, 2, 3])),
        },
        { level },
      );
      const path = join(dir, `a${level}.npz`);
      writeFileSync(path, zip);
      const arrays = await readNpz(path, 'Synapse slice');
      expect(Object.keys(arrays).sort()).toEqual(['image', 'label']);
      expect(arrays.label!.shape).toEqual([2, 2]);
      expect(Array.from(arrays.label!.data as Uint8Array)).toEqual([0, 1, 2, 3]);
    }
  });

  // Written by numpy 2.4 (`np.savez_compressed(b, image=img, label=lab)` and `np.savez` with a
  // Fortran-ordered float64 image): zip64 extra fields, as numpy always writes them.
  const SAVEZ_COMPRESSED =
    'UEsDBC0AAAAIAAAAIQCFmS3y//////////8JABQAaW1hZ2UubnB5AQAQALAAAAAAAAAAcgAAAAAAAACb7BfqGxDJyFDGUK2eklqcXKRupaBuk2airqOgnpZfVFKUmBefX5SSChJ3S8wpTgWKF2ckFqQC+RrGOgommjoKtQpkAy4GIOjR22Xbo2dl93JRtx2Qbae/6wWQzW2/64WSPVDcPrYk0F5/V4Y9A0ODPQBQSwMELQAAAAgAAAAhAKSw2j///////////wkAFABsYWJlbC5ucHkBABAAsAAAAAAAAABfAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TZqKuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GsY6CiaaOgq1CmQDLgYwaLAHEg5ABMQNQLwAiA8A8QMgZnBEVgMAUEsBAi0DLQAAAAgAAAAhAIWZLfJyAAAAsAAAAAkAAAAAAAAAAAAAAIABAAAAAGltYWdlLm5weVBLAQItAy0AAAAIAAAAIQCksNo/XwAAALAAAAAJAAAAAAAAAAAAAACAAa0AAABsYWJlbC5ucHlQSwUGAAAAAAIAAgBuAAAARwEAAAAA';
  const SAVEZ_FORTRAN =
    'UEsDBC0AAAAAAAAAIQA4VDzy//////////8JABQAaW1hZ2UubnB5AQAQAOAAAAAAAAAA4AAAAAAAAACTTlVNUFkBAHYAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJhbl9vcmRlcic6IFRydWUsICdzaGFwZSc6ICgzLCA0KSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgCgAAAAAAAAAAAAAAgNFF1z8AAACA0UXnPwAAAIDRRbc/AAAA4EUX3T8AAACgiy7qPwAAAIDRRcc/AAAAIF104T8AAADgRRftPwAAACBddNE/AAAAQBdd5D8AAAAAAADwP1BLAwQtAAAAAAAAACEA2C+iz///////////CQAUAGxhYmVsLm5weQEAEACMAAAAAAAAAIwAAAAAAAAAk05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsIDQpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAQIDBAUGBwgAAQJQSwECLQMtAAAAAAAAACEAOFQ88uAAAADgAAAACQAAAAAAAAAAAAAAgAEAAAAAaW1hZ2UubnB5UEsBAi0DLQAAAAAAAAAhANgvos+MAAAAjAAAAAkAAAAAAAAAAAAAAIABGwEAAGxhYmVsLm5weVBLBQYAAAAAAgACAG4AAADiAQAAAAA=';
  const IMAGE = Array.from({ length: 12 }, (_, i) => i / 11);

  test('np.savez_compressed output', () => {
    const arrays = parseNpz(Buffer.from(SAVEZ_COMPRESSED, 'base64'), 'numpy.npz');
    expect(arrays.image!.descr).toBe('<f4');
    expect(arrays.image!.shape).toEqual([3, 4]);
    Array.from(arrays.image!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(IMAGE[i]!, 6));
    expect(Array.from(arrays.label!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2]);
  });

  test('np.savez output with a Fortran-ordered float64 member', () => {
    const arrays = parseNpz(Buffer.from(SAVEZ_FORTRAN, 'base64'), 'numpy.npz');
    expect(arrays.image!.descr).toBe('<f8');
    Array.from(arrays.image!.data as Float64Array).forEach((v, i) => expect(v).toBeCloseTo(IMAGE[i]!, 6));
    expect(arrays.label!.descr).toBe('|u1');
  });

  test('a corrupt archive names the file', async () => {
    const path = join(dir, 'corrupt.npz');
    writeFileSync(path, Buffer.from('this is not a zip file at all'));
    await expect(readNpz(path, 'Synapse slice')).rejects.toThrow(`Synapse slice ${path}: not a readable .npz (zip) archive`);
  });

  test('a corrupt member names the archive and the member', () => {
    const zip = zipSync({ 'image.npy': new TextEncoder().encode('garbage') });
    expect(() => parseNpz(zip, 'Synapse slice s.npz')).toThrow(/Synapse slice s\.npz: member 'image\.npy': not a \.npy array/);
  });
});

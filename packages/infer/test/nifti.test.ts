import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import {
  encodeNifti,
  headerAffine,
  inspectNiftiHeader,
  NIFTI_MAX_VOXELS,
  niftiToFloat32,
  parseNifti,
  readNifti,
  writeNifti,
} from '../src/node/nifti';
import { crc32, gunzipChecked } from '../src/gzip';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcsc-nifti-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An oblique, left-handed affine: rotation about z by 30°, spacing 0.8 × 1.25 × 3, x flipped. */
function obliqueAffine(): number[][] {
  const c = Math.cos(Math.PI / 6);
  const s = Math.sin(Math.PI / 6);
  return [
    [-0.8 * c, -1.25 * s, 0, 12.5],
    [-0.8 * s, 1.25 * c, 0, -40],
    [0, 0, 3, 7.25],
    [0, 0, 0, 1],
  ];
}

function expectMatrixClose(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(b[i]![j]!, 5)));
}

const CASES: [string, () => Uint8Array | Int16Array | Float32Array][] = [
  ['uint8', () => Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 7) % 256)],
  ['int16', () => Int16Array.from({ length: 5 * 4 * 3 }, (_, i) => i * 311 - 9000)],
  ['float32', () => Float32Array.from({ length: 5 * 4 * 3 }, (_, i) => Math.sin(i) * 1e3)],
];

describe.each(['.nii', '.nii.gz'])('round trip %s', (ext) => {
  test.each(CASES)('%s data and an oblique affine', async (name, make) => {
    const data = make();
    const path = join(dir, `rt-${name}${ext}`);
    await writeNifti(path, data, { dims: [5, 4, 3], affine: obliqueAffine() });
    const vol = await readNifti(path);
    expect(vol.dims).toEqual([5, 4, 3]);
    expect(vol.data.constructor).toBe(data.constructor);
    expect(Array.from(vol.data)).toEqual(Array.from(data));
    vol.spacing.forEach((s, i) => expect(s).toBeCloseTo([0.8, 1.25, 3][i]!, 5));
    expectMatrixClose(vol.affine, obliqueAffine());
    // The qform written next to the sform encodes the same geometry.
    expectMatrixClose(headerAffine({ ...vol.header, sformCode: 0 }), obliqueAffine());
    const gz = readFileSync(path);
    expect(gz[0] === 0x1f && gz[1] === 0x8b).toBe(ext === '.nii.gz');
  });
});

test('a reference header carries its geometry to a new label volume', async () => {
  const src = join(dir, 'ref.nii.gz');
  await writeNifti(src, new Float32Array(6 * 5 * 4 * 2).fill(1.5), { dims: [6, 5, 4, 2], affine: obliqueAffine() });
  const ref = await readNifti(src);
  const labels = Uint8Array.from({ length: 6 * 5 * 4 * 2 }, (_, i) => i % 4);
  const out = join(dir, 'labels.nii');
  await writeNifti(out, labels, { reference: ref.header });
  const back = await readNifti(out);
  expect(back.dims).toEqual([6, 5, 4, 2]);
  expect(back.header.datatype).toBe(2);
  expect(back.header.sformCode).toBe(ref.header.sformCode);
  expect(back.header.qformCode).toBe(ref.header.qformCode);
  expect(back.spacing).toEqual(ref.spacing);
  expectMatrixClose(back.affine, ref.affine);
  expect(Array.from(back.data)).toEqual(Array.from(labels));
});

test('qform-only files use the quaternion; neither form falls back to pixdim', () => {
  const bytes = encodeNifti(new Uint8Array(8), { dims: [2, 2, 2], affine: obliqueAffine() });
  new DataView(bytes.buffer).setInt16(254, 0, true); // sform_code = 0
  expectMatrixClose(parseNifti(bytes, 'q.nii').affine, obliqueAffine());
  new DataView(bytes.buffer).setInt16(252, 0, true); // qform_code = 0
  const plain = parseNifti(bytes, 'p.nii');
  expectMatrixClose(plain.affine, [
    [0.8, 0, 0, 0],
    [0, 1.25, 0, 0],
    [0, 0, 3, 0],
    [0, 0, 0, 1],
  ]);
});

test('big-endian files are read with their byte order', () => {
  const le = encodeNifti(Int16Array.from([1, -2, 300, 4000]), { dims: [4], spacing: [2] });
  const be = le.slice();
  const swap = (at: number, width: number) => be.subarray(at, at + width).reverse();
  swap(0, 4);
  swap(40, 2);
  swap(42, 2);
  swap(70, 2);
  swap(72, 2);
  swap(108, 4);
  swap(112, 4);
  swap(80, 4);
  for (let i = 0; i < 8; i++) if (i !== 1) swap(76 + 4 * i, 4);
  for (let i = 1; i < 7; i++) swap(42 + 2 * i, 2);
  for (let i = 0; i < 4; i++) swap(352 + 2 * i, 2);
  const vol = parseNifti(be, 'be.nii');
  expect(vol.header.littleEndian).toBe(false);
  expect(Array.from(vol.data)).toEqual([1, -2, 300, 4000]);
  expect(vol.spacing).toEqual([2]);
});

test('scl_slope / scl_inter are applied by niftiToFloat32', () => {
  const bytes = encodeNifti(Int16Array.from([0, 10, -10]), { dims: [3] });
  new DataView(bytes.buffer).setFloat32(112, 0.5, true);
  new DataView(bytes.buffer).setFloat32(116, 100, true);
  expect(Array.from(niftiToFloat32(parseNifti(bytes, 's.nii')))).toEqual([100, 105, 95]);
});

describe('errors name the file and what was expected', () => {
  test('a PNG is not NIfTI: the magic found is quoted', async () => {
    const path = join(dir, 'fake.nii');
    const bytes = new Uint8Array(400);
    bytes.set([0x89, 0x50, 0x4e, 0x47]);
    bytes.set([0x41, 0x42, 0x43, 0x44], 344);
    writeFileSync(path, bytes);
    await expect(readNifti(path)).rejects.toThrow(`NIfTI file ${path}: not a NIfTI-1 file`);
    await expect(readNifti(path)).rejects.toThrow('magic is "ABCD"');
  });
  test('a short file', () => {
    expect(() => parseNifti(new Uint8Array(20), 'short.nii')).toThrow('short.nii: 20 bytes is shorter than the 348-byte NIfTI-1 header');
  });
  test('a truncated voxel block', () => {
    const bytes = encodeNifti(new Float32Array(64), { dims: [4, 4, 4] });
    expect(() => parseNifti(bytes.subarray(0, 400), 'cut.nii')).toThrow(
      /cut\.nii: header promises 4×4×4 voxels of 4 bytes at offset 352 \(608 bytes\), but the file holds 400 bytes/,
    );
  });
  test('a corrupt gzip stream', async () => {
    const path = join(dir, 'bad.nii.gz');
    const gz = gzipSync(encodeNifti(new Uint8Array(64), { dims: [4, 4, 4] }));
    gz.fill(0xff, 12, 40);
    writeFileSync(path, gz);
    await expect(readNifti(path)).rejects.toThrow(`NIfTI file ${path}: gzip stream is corrupt`);
  });
  test('a missing file', async () => {
    await expect(readNifti(join(dir, 'nope.nii'))).rejects.toThrow(/nope\.nii: cannot read/);
  });
  test('data and dims disagree', async () => {
    await expect(writeNifti(join(dir, 'x.nii'), new Uint8Array(5), { dims: [2, 2] })).rejects.toThrow(
      /x\.nii: dims \[2, 2\] hold 4 voxels but data has 5/,
    );
  });
  test('an unsupported array type', () => {
    expect(() => encodeNifti(new Float64Array(4) as unknown as Float32Array, { dims: [4] })).toThrow(/Float64Array/);
  });
});

describe('atomic writes', () => {
  test('a failed write leaves no partial or temporary file', async () => {
    const sub = join(dir, 'atomic');
    mkdirSync(sub);
    const target = join(sub, 'taken.nii.gz');
    mkdirSync(target); // a directory where the file should go: the final rename fails
    await expect(writeNifti(target, new Uint8Array(8), { dims: [2, 2, 2] })).rejects.toThrow(`NIfTI file ${target}: cannot write`);
    expect(readdirSync(sub)).toEqual(['taken.nii.gz']);
    await expect(writeNifti(join(sub, 'bad.nii'), new Uint8Array(3), { dims: [2, 2] })).rejects.toThrow();
    expect(readdirSync(sub)).toEqual(['taken.nii.gz']);
  });
  test('overwriting replaces the whole file', async () => {
    const path = join(dir, 'over.nii');
    await writeNifti(path, new Float32Array(1000), { dims: [10, 10, 10] });
    await writeNifti(path, Uint8Array.from([1, 2]), { dims: [2] });
    const vol = await readNifti(path);
    expect(Array.from(vol.data)).toEqual([1, 2]);
    expect(readFileSync(path).length).toBe(354);
  });
});

describe('validation before trusting the header', () => {
  /** A uint8 4×4×4 volume's bytes with `edit` applied to the header. */
  const edited = (edit: (v: DataView) => void, dims = [4, 4, 4]) => {
    const bytes = encodeNifti(new Uint8Array(dims.reduce((a, b) => a * b, 1)).fill(3), { dims });
    edit(new DataView(bytes.buffer));
    return bytes;
  };
  test.each([
    ['dim[0] = 0', (v: DataView) => v.setInt16(40, 0, true), /dim\[0\] is 0, expected 1 … 7/],
    ['a negative dim', (v: DataView) => v.setInt16(44, -4, true), /dims \[4, -4, 4\] must all be ≥ 1/],
    ['an unsupported datatype', (v: DataView) => v.setInt16(70, 32, true), /datatype 32 .* is not supported/],
    ['a fractional vox_offset', (v: DataView) => v.setFloat32(108, 352.5, true), /vox_offset is 352.5, expected a whole number ≥ 352/],
    ['vox_offset inside the header', (v: DataView) => v.setFloat32(108, 0, true), /vox_offset is 0, expected a whole number ≥ 352/],
    ['a NaN voxel size', (v: DataView) => v.setFloat32(80, NaN, true), /pixdim \[NaN, 1, 1\] holds non-finite voxel sizes/],
    [
      'a non-finite sform',
      (v: DataView) => {
        v.setInt16(254, 1, true);
        v.setFloat32(280, Infinity, true);
      },
      /affine \(sform\) holds non-finite values/,
    ],
    [
      'more voxels than the file holds',
      (v: DataView) => v.setInt16(46, 400, true),
      /header promises 4×4×400 voxels of 1 bytes at offset 352 \(6752 bytes\), but the file holds 416 bytes/,
    ],
  ] as const)('%s', (_, edit, message) => {
    expect(() => parseNifti(edited(edit), 'h.nii')).toThrow(message);
    expect(() => parseNifti(gzipSync(edited(edit)), 'h.nii.gz')).toThrow(/^NIfTI file h\.nii(\.gz)?: /);
  });
  test('a voxel count over the limit is refused from the header alone', () => {
    const head = edited((v) => {
      v.setInt16(42, 1024, true);
      v.setInt16(44, 1024, true);
      v.setInt16(46, 1024, true);
    });
    expect(() => parseNifti(head, 'big.nii')).toThrow(
      `NIfTI file big.nii: dims [1024, 1024, 1024] hold 1073741824 voxels, more than the limit of ${NIFTI_MAX_VOXELS} (maxVoxels; see docs/limits.md)`,
    );
    expect(() => inspectNiftiHeader(head, 'big.nii', { maxVoxels: 2 ** 31 })).not.toThrow();
    expect(() => parseNifti(encodeNifti(new Uint8Array(64), { dims: [4, 4, 4] }), 'x.nii', { maxVoxels: 63 })).toThrow(
      /more than the limit of 63/,
    );
  });
});

describe('gzip streams are checked, and bounded by the header', () => {
  const volume = () =>
    encodeNifti(
      Uint8Array.from({ length: 8 * 8 * 8 }, (_, i) => i % 7),
      { dims: [8, 8, 8] },
    );
  test('a bad CRC-32 is refused', () => {
    const gz = gzipSync(volume());
    gz[gz.length - 8]! ^= 0x01;
    expect(() => parseNifti(gz, 'crc.nii.gz')).toThrow(
      /NIfTI file crc\.nii\.gz: gzip stream is corrupt: CRC-32 of the stream is 0x[0-9a-f]{8}, but its trailer records/,
    );
  });
  test('a wrong ISIZE is refused', () => {
    const gz = gzipSync(volume());
    gz[gz.length - 1]! ^= 0x10;
    expect(() => parseNifti(gz, 'size.nii.gz')).toThrow(/inflates to 864 bytes, but its trailer records/);
  });
  test('trailing bytes and truncation are refused', () => {
    const gz = gzipSync(volume());
    expect(() => parseNifti(Uint8Array.from([...gz, 0, 0]), 't.nii.gz')).toThrow(/gzip stream is corrupt: bytes after the end of a member/);
    expect(() => parseNifti(gz.subarray(0, gz.length - 3), 't.nii.gz')).toThrow(/gzip stream is corrupt/);
  });
  test('several members (bgzip, cat a.gz b.gz) are one stream', () => {
    const raw = volume();
    const gz = Uint8Array.from([...gzipSync(raw.subarray(0, 100)), ...gzipSync(raw.subarray(100))]);
    expect(Array.from(parseNifti(gz, 'm.nii.gz').data)).toEqual(Array.from(raw.subarray(352)));
  });
  test('a stream that inflates far past the declared size stops early, without allocating it', () => {
    const raw = new Uint8Array(64 << 20);
    raw.set(encodeNifti(new Uint8Array(64 * 64 * 8), { dims: [64, 64, 8] }).subarray(0, 352));
    const gz = gzipSync(raw, { level: 1 });
    expect(() => parseNifti(gz, 'bomb.nii.gz')).toThrow(
      /NIfTI file bomb\.nii\.gz: the gzip stream inflates to more than \d+ bytes, but the header declares 33120 \(64×64×8 voxels at offset 352\); refused as a decompression bomb/,
    );
  });
  test('a claim the compressed stream cannot hold is refused before it is allocated', () => {
    const head = encodeNifti(new Int16Array(8), { dims: [2, 2, 2] });
    const v = new DataView(head.buffer);
    v.setInt16(42, 1024, true);
    v.setInt16(44, 1024, true);
    v.setInt16(46, 512, true);
    expect(() => parseNifti(gzipSync(head), 'claim.nii.gz')).toThrow(
      /header promises 1024×1024×512 voxels of 2 bytes \(1073742176 bytes\), more than the \d+-byte gzip stream can inflate to/,
    );
  });
  test('crc32 and gunzipChecked agree with the reference values', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const parts: number[] = [];
    gunzipChecked(gzipSync(Uint8Array.of(1, 2, 3)), (c) => parts.push(...c), 'x');
    expect(parts).toEqual([1, 2, 3]);
  });
});

describe('only regular files are read', () => {
  test('a directory', async () => {
    await expect(readNifti(dir)).rejects.toThrow(
      `NIfTI file ${dir}: cannot read: it is a directory; expected a regular .nii or .nii.gz file`,
    );
  });
  test('a character device', async () => {
    await expect(readNifti('/dev/zero')).rejects.toThrow('NIfTI file /dev/zero: cannot read: it is a character device');
  });
  (process.platform === 'win32' ? test.skip : test)('a FIFO is refused without opening it (no hang)', async () => {
    const fifo = join(dir, 'pipe.nii');
    execFileSync('mkfifo', [fifo]);
    await expect(readNifti(fifo)).rejects.toThrow(`NIfTI file ${fifo}: cannot read: it is a FIFO (named pipe)`);
  });
  test('an uncompressed file is validated from its header before the voxels are read', async () => {
    const path = join(dir, 'cut.nii');
    writeFileSync(path, encodeNifti(new Float32Array(1000), { dims: [10, 10, 10] }).subarray(0, 2000));
    await expect(readNifti(path)).rejects.toThrow(
      /cut\.nii: header promises 10×10×10 voxels of 4 bytes at offset 352 \(4352 bytes\), but the file holds 2000 bytes/,
    );
  });
});

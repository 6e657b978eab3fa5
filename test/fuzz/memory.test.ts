/**
 * Peak memory of bad inputs, each read in its own process (resident-memory high-water mark, which no
 * garbage collection hides): a claim in a header must not make a reader allocate it. Every case must
 * fail with its one-line message and raise the peak by less than MEMORY_BOUND; a control case reading
 * a valid 96 MiB volume shows that the measurement sees real allocations.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
// fflate and h5wasm are dependencies of @mcsc/train, not of the repository root: reached through it.
import { zipSync } from '../../packages/train/node_modules/fflate';
import { encodeNifti } from '../../packages/infer/src/nifti';
import { importH5wasm } from './native';

/** The stated bound: a bad input raises peak resident memory by less than this (docs/limits.md). */
const MEMORY_BOUND = 64 * 1024 * 1024;

const run = promisify(execFile);
const root = join(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mcsc-fuzz-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  failed: boolean;
  message?: string;
  before: number;
  peak: number;
}

async function measure(kind: string, file: string): Promise<Outcome> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(__dirname, 'memory-child.mts'), kind, file], {
    cwd: root,
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Outcome;
}

/** 2 GiB of zeros behind a 64×64×8 uint8 header: 32 gzip members of 64 MiB each, about 2 MB on disk. */
function bomb(): Uint8Array {
  const chunk = new Uint8Array(64 << 20);
  const zeros = gzipSync(chunk, { level: 9 });
  chunk.set(encodeNifti(new Uint8Array(64 * 64 * 8), { dims: [64, 64, 8] }).subarray(0, 352));
  const first = gzipSync(chunk, { level: 9 });
  const parts = [first, ...Array.from({ length: 31 }, () => zeros)];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An HDF5 file whose chunked dataset 'image' declares 100000 × 100000 float32 values (40 GB) in a few KiB. */
async function hugeH5(file: string): Promise<void> {
  const h5wasm = (await importH5wasm()).default;
  await h5wasm.ready;
  const f = new h5wasm.File(file, 'w');
  f.create_dataset({ name: 'image', data: new Float32Array(1), shape: [1, 1], maxshape: [null, null], chunks: [1, 1] }).resize([
    100000, 100000,
  ]);
  f.close();
}

const CASES: [string, string, () => Uint8Array | string | Promise<string>, RegExp][] = [
  [
    'a .nii.gz inflating to 2 GiB behind a 64×64×8 header',
    'nifti',
    bomb,
    /the gzip stream inflates to more than \d+ bytes, but the header declares 33120/,
  ],
  [
    'a .nii.gz whose header claims 1024³ uint8 voxels',
    'nifti',
    () =>
      gzipSync(
        encodeNifti(new Uint8Array(8), { dims: [2, 2, 2] }).map((b, i) =>
          i === 42 || i === 44 || i === 46 ? 0 : i === 43 || i === 45 || i === 47 ? 4 : b,
        ),
      ),
    /hold 1073741824 voxels, more than the limit of 536870912/,
  ],
  [
    'a small .nii.gz whose header claims 2^29 int16 voxels (1 GiB)',
    'nifti',
    () => {
      const b = encodeNifti(new Int16Array(8), { dims: [2, 2, 2] });
      const v = new DataView(b.buffer);
      v.setInt16(42, 1024, true);
      v.setInt16(44, 1024, true);
      v.setInt16(46, 512, true);
      return gzipSync(b);
    },
    /more than the \d+-byte gzip stream can inflate to/,
  ],
  ['/dev/zero as a volume', 'nifti', () => '/dev/zero', /it is a character device/],
  [
    'a safetensors header length of 2^40',
    'safetensors',
    () => {
      const b = new Uint8Array(64);
      new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true);
      return b;
    },
    /exceeds the limit of 100000000 bytes/,
  ],
  [
    'a .npz member declaring 2 GiB − 1',
    'npz',
    () => {
      const z = zipSync({ 'image.npy': new Uint8Array(1000) });
      const v = new DataView(z.buffer);
      for (let at = z.length - 22; at > 0; at--)
        if (v.getUint32(at, true) === 0x02014b50) {
          v.setUint32(at + 24, 0x7fffffff, true);
          break;
        }
      return z;
    },
    /declares 2147483647 bytes/,
  ],
  [
    'an HDF5 dataset declaring 40 GB',
    'h5',
    async () => {
      const f = join(dir, 'huge.h5');
      await hugeH5(f);
      return f;
    },
    /declares shape \[100000, 100000\] of 4-byte values \(40000000000 bytes\), more than the limit/,
  ],
  [
    'a JSON config of 17 MiB',
    'json',
    () => new TextEncoder().encode(`{"pad": "${' '.repeat(17 << 20)}"}`),
    /more than the limit of 16777216 bytes/,
  ],
];

const measured: string[] = [];
afterAll(() => console.log(`peak memory above the reader's start, bound ${MEMORY_BOUND >> 20} MiB:\n${measured.join('\n')}`));

describe(`bad inputs raise peak memory by less than ${MEMORY_BOUND >> 20} MiB`, () => {
  test.each(CASES)('%s', async (name, kind, make, message) => {
    const content = await make();
    let file = content as string;
    if (typeof content !== 'string') {
      file = join(dir, `${name.replace(/\W+/g, '-')}.bin`);
      writeFileSync(file, content);
    }
    const outcome = await measure(kind, file);
    expect(outcome.failed).toBe(true);
    expect(outcome.message).toMatch(message);
    expect(outcome.message).toContain(file);
    expect(outcome.peak - outcome.before).toBeLessThan(MEMORY_BOUND);
    measured.push(`  ${name}: +${((outcome.peak - outcome.before) / 2 ** 20).toFixed(1)} MiB`);
  });

  test('control: reading a valid 96 MiB volume does raise the peak (the measurement works)', async () => {
    const file = join(dir, 'big.nii');
    writeFileSync(file, encodeNifti(new Uint8Array(96 << 20), { dims: [1024, 1024, 96] }));
    const outcome = await measure('nifti', file);
    expect(outcome.failed).toBe(false);
    expect(outcome.peak - outcome.before).toBeGreaterThan(90 << 20);
  });
});

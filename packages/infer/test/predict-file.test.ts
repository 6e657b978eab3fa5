import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSegmenter, decodePng, niftiToStack, predictFile, readNifti, stackLayout, stackToNifti, writeNifti } from '../src/index';
import { exportedModel, phantomVolume } from './helpers/models';

const [X, Y, Z] = [36, 40, 5];
/** Oblique, left-handed (x flipped) geometry the label file must keep. */
const AFFINE = [
  [-0.7, 0.1, 0, 12.5],
  [0.1, 0.9, 0, -40],
  [0, 0, 2.5, 7.25],
  [0, 0, 0, 1],
];
let dir: string;
let modelPath: string;
let scan: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mcsc-predict-'));
  modelPath = join(dir, 'cnn.onnx');
  writeFileSync(modelPath, await exportedModel({ arch: 'unet', size: 32, seed: 3, sharpen: 10 }));
  scan = join(dir, 'scan.nii.gz');
  // Int16 storage, as scanners write it.
  await writeNifti(scan, Int16Array.from(phantomVolume(Z, Y, X)), { dims: [X, Y, Z], affine: AFFINE });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Files in the test folder, minus the inputs: what a run left behind. */
const leftovers = () => readdirSync(dir).filter((f) => !['cnn.onnx', 'scan.nii.gz'].includes(f) && !f.startsWith('in-'));

test('writes labels with the input geometry, probabilities and overlays; labels equal segmentVolume', async () => {
  const out = join(dir, 'out', 'labels.nii.gz');
  const probs = join(dir, 'out', 'probs.nii');
  const png = join(dir, 'out', 'png');
  const progress: number[] = [];
  const result = await predictFile({
    models: [modelPath],
    input: scan,
    out,
    probabilities: probs,
    png,
    batchSize: 2,
    onProgress: (d) => progress.push(d),
  });
  expect(progress).toEqual([2, 4, 5]);
  const written = await readNifti(out);
  const input = await readNifti(scan);
  expect(written.dims).toEqual([X, Y, Z]);
  expect(written.data).toBeInstanceOf(Uint8Array);
  written.spacing.forEach((s, i) => expect(s).toBeCloseTo(input.spacing[i]!, 6));
  written.affine.forEach((row, r) => row.forEach((v, c) => expect(v).toBeCloseTo(AFFINE[r]![c]!, 5)));
  expect(written.header.qformCode).toBe(input.header.qformCode);
  expect(written.header.sformCode).toBe(input.header.sformCode);
  expect(result.counts.reduce((a, b) => a + b, 0)).toBe(X * Y * Z);

  // The same volume through the API: NIfTI order [Z, Y, X] is the stack [D, H, W] for axis 2.
  const s = await createSegmenter(modelPath);
  const direct = await s.segmentVolume(Float32Array.from(input.data), [Z, Y, X], { intensity: 'minmax' });
  await s.release();
  expect(Buffer.from(written.data as Uint8Array).equals(Buffer.from(direct.labels))).toBe(true);

  const p = await readNifti(probs);
  expect(p.dims).toEqual([X, Y, Z, 4]);
  const first = [0, 1, 2, 3].reduce((a, k) => a + (p.data[k * X * Y * Z] as number), 0);
  expect(first).toBeCloseTo(1, 5);
  const pngs = readdirSync(png).sort();
  expect(pngs).toEqual(['slice_000.png', 'slice_001.png', 'slice_002.png', 'slice_003.png', 'slice_004.png']);
  expect(decodePng(readFileSync(join(png, pngs[0]!)), pngs[0]!)).toMatchObject({ width: X, height: Y });
});

test.each([
  [
    'a corrupt model',
    async () => {
      const bad = join(dir, 'in-corrupt.onnx');
      writeFileSync(bad, readFileSync(modelPath).subarray(0, 5000));
      return { models: [bad], input: scan };
    },
    /model .*in-corrupt\.onnx: onnxruntime cannot load it \(.+\); expected an ONNX model exported by 'mcsc export'/,
  ],
  [
    'a non-NIfTI input',
    async () => {
      const bad = join(dir, 'in-scan.nii.gz');
      writeFileSync(bad, 'not a volume at all'.repeat(30));
      return { models: [modelPath], input: bad };
    },
    /NIfTI file .*in-scan\.nii\.gz: not a NIfTI-1 file: sizeof_hdr is \d+ and magic is ".*", expected 348/,
  ],
  [
    'a volume with the wrong channel count',
    async () => {
      const bad = join(dir, 'in-rgb.nii');
      await writeNifti(bad, new Float32Array(X * Y * Z * 3), { dims: [X, Y, Z, 3] });
      return { models: [modelPath], input: bad };
    },
    /NIfTI file .*in-rgb\.nii: 3 channels \(dims \[36, 40, 5, 3\]\), but the model expects 1; expected \[X, Y, Z\] for one channel or \[X, Y, Z, 1\]/,
  ],
])('%s is a clear error and leaves no output file', async (_, make, message) => {
  const out = join(dir, 'bad', 'labels.nii.gz');
  const png = join(dir, 'bad-png');
  await expect(predictFile({ ...(await make()), out, png, probabilities: join(dir, 'bad-probs.nii') })).rejects.toThrow(message);
  expect(existsSync(out)).toBe(false);
  expect(existsSync(png)).toBe(false);
  expect(leftovers().filter((f) => f !== 'out')).toEqual([]);
});

test('chunks of slices give the same labels and probabilities as one pass', async () => {
  const one = join(dir, 'chunk', 'one.nii');
  const many = join(dir, 'chunk', 'many.nii');
  await predictFile({ models: [modelPath], input: scan, out: one, probabilities: join(dir, 'chunk', 'p1.nii'), batchSize: 4 });
  const progress: number[] = [];
  await predictFile({
    models: [modelPath],
    input: scan,
    out: many,
    probabilities: join(dir, 'chunk', 'p2.nii'),
    batchSize: 1,
    chunkSlices: 2,
    onProgress: (d) => progress.push(d),
  });
  expect(progress).toEqual([1, 2, 3, 4, 5]);
  expect(Buffer.from((await readNifti(many)).data as Uint8Array).equals(Buffer.from((await readNifti(one)).data as Uint8Array))).toBe(true);
  expect(Array.from((await readNifti(join(dir, 'chunk', 'p2.nii'))).data)).toEqual(
    Array.from((await readNifti(join(dir, 'chunk', 'p1.nii'))).data),
  );
  rmSync(join(dir, 'chunk'), { recursive: true });
});

describe('all outputs or none', () => {
  test.each([
    [
      'the overlay folder is a file',
      () => {
        writeFileSync(join(dir, 'in-taken'), 'x');
        return { png: join(dir, 'in-taken') };
      },
      /PNG folder .*in-taken: exists and is not a folder/,
    ],
    [
      'the overlay folder cannot be created',
      () => {
        writeFileSync(join(dir, 'in-file'), 'x');
        return { png: join(dir, 'in-file', 'png') };
      },
      /PNG folder .*in-file\/png: cannot create folder .*in-file: /,
    ],
    [
      'the probabilities cannot be written',
      () => {
        writeFileSync(join(dir, 'in-file2'), 'x');
        return { probabilities: join(dir, 'in-file2', 'p.nii') };
      },
      /NIfTI file .*in-file2\/p\.nii: cannot create folder/,
    ],
  ])('%s: no labels file is left either', async (_, extra, message) => {
    const out = join(dir, 'partial', 'labels.nii.gz');
    await expect(predictFile({ models: [modelPath], input: scan, out, ...extra() })).rejects.toThrow(message);
    expect(existsSync(join(dir, 'partial'))).toBe(false);
    expect(leftovers().filter((f) => f !== 'out')).toEqual([]);
  });
});

describe('inputs are checked before the work', () => {
  test('a voxel count over maxVoxels is refused from the header, with the limit', async () => {
    await expect(predictFile({ models: [modelPath], input: scan, out: join(dir, 'bad', 'l.nii'), maxVoxels: 1000 })).rejects.toThrow(
      `NIfTI file ${scan}: dims [36, 40, 5] hold 7200 voxels, more than the limit of 1000 (maxVoxels; see docs/limits.md)`,
    );
  });
  test('probabilities over the limit are refused before segmenting', async () => {
    await expect(
      predictFile({
        models: [modelPath],
        input: scan,
        out: join(dir, 'bad', 'l.nii'),
        probabilities: join(dir, 'bad', 'p.nii'),
        maxVoxels: 20000,
      }),
    ).rejects.toThrow(/probabilities output .*p\.nii: 36×40×5 voxels × 4 classes = 28800 float32 values, more than the limit of 20000/);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });
  test('a NaN voxel names the file and the voxel', async () => {
    const bad = join(dir, 'in-nan.nii');
    const data = new Float32Array(X * Y * Z).fill(1);
    data[3 + X * (2 + Y * 4)] = NaN;
    await writeNifti(bad, data, { dims: [X, Y, Z] });
    await expect(predictFile({ models: [modelPath], input: bad, out: join(dir, 'bad', 'l.nii') })).rejects.toThrow(
      `NIfTI file ${bad}: voxel (3, 2, 4) is NaN, expected finite values`,
    );
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });
});

test.each([0, 1, 2] as const)('slicing along axis %i and back is the identity, channels included', (axis) => {
  const dims = [4, 3, 5, 2];
  const data = Float32Array.from({ length: 4 * 3 * 5 * 2 }, (_, i) => i);
  const layout = stackLayout(dims, axis, 'test');
  expect(layout.shape).toEqual([dims[axis], 2, ...[2, 1, 0].filter((a) => a !== axis).map((a) => dims[a])]);
  const stack = niftiToStack(data, layout);
  expect(Array.from(stackToNifti(stack, layout))).toEqual(Array.from(data));
  if (axis === 2) expect(Array.from(stack.subarray(0, 4 * 3))).toEqual(Array.from(data.subarray(0, 12)));
});

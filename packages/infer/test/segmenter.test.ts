import * as ort from 'onnxruntime-node';
import { zoomNearest2D } from '@mcsc/core';
import { nearestIndices as graphNearestIndices } from '@mcsc/graph';
import { createSegmenter, nearestIndices, resizeNearest2D, Segmenter, nodeRuntime } from '../src/index';
import { evaluateVolumes, type Predictor } from '@mcsc/train';
import { exportedModel, phantomVolume } from './helpers/models';

const P = 32;
const [D, H, W] = [6, 40, 36];
let cnn: Uint8Array;
let trans: Uint8Array;
let volume: Float32Array;

beforeAll(async () => {
  cnn = await exportedModel({ arch: 'unet', size: P, seed: 3, sharpen: 10 });
  trans = await exportedModel({ arch: 'swin-unet', size: P, seed: 4, sharpen: 10 });
  volume = phantomVolume(D, H, W);
  // The models see 0 … 1, as after the data sets' min–max scaling.
  const max = volume.reduce((a, b) => Math.max(a, b), 0);
  volume = volume.map((v) => v / max);
});

describe('order-0 resize', () => {
  test.each([
    [40, 36, 32, 32],
    [32, 32, 40, 36],
    [232, 200, 224, 224],
    [224, 224, 216, 216],
    [1, 7, 5, 3],
    [5, 5, 1, 1],
  ])('%i×%i → %i×%i equals @mcsc/core zoomNearest2D (scipy order 0)', (h, w, oh, ow) => {
    const src = Float32Array.from({ length: h * w }, (_, i) => i + 1);
    expect(Array.from(resizeNearest2D(src, h, w, oh, ow))).toEqual(Array.from(zoomNearest2D(src, h, w, oh, ow)));
    expect(Array.from(resizeNearest2D(src, h, w, oh, ow, 'clamp'))).toEqual(
      Array.from(zoomNearest2D(src, h, w, oh, ow, { edge: 'clamp' })),
    );
  });

  test("infer's nearestIndices is @mcsc/graph's, the one rule @mcsc/core's zoom reads too", () => {
    expect(nearestIndices).toBe(graphNearestIndices);
  });
});

describe('Segmenter', () => {
  test('reads C, P and K from the model', async () => {
    const s = await createSegmenter(cnn);
    expect(s.modelInfo).toEqual([
      {
        source: `<${cnn.byteLength} bytes>`,
        input: 'image',
        output: 'probs',
        channels: 1,
        height: P,
        width: P,
        classes: 4,
        fixedBatch: null,
      },
    ]);
    await s.release();
  });

  test('CNN, Transformer and ensemble labels equal the trainer’s evaluation (docs/method/evaluation.md)', async () => {
    const sessions = await Promise.all([cnn, trans].map((b) => ort.InferenceSession.create(b)));
    const run = async (s: ort.InferenceSession, image: Float32Array, n: number) =>
      (await s.run({ image: new ort.Tensor('float32', image, [n, 1, P, P]) })).probs!.data as Float32Array;
    const predict: Predictor = async (image, n) => ({ cnn: await run(sessions[0]!, image, n), trans: await run(sessions[1]!, image, n) });
    const reference = await evaluateVolumes(
      [{ caseId: 'phantom', shape: [D, H, W], image: volume, label: new Uint8Array(D * H * W) }],
      predict,
      { patchSize: P, numClasses: 4, classNames: ['bg', 'a', 'b', 'c'], batch: 4, spacing: 'voxel' },
    );
    const expected = reference.predictions[0]!;
    const cases: [string, Uint8Array[], Uint8Array][] = [
      ['cnn', [cnn], expected.cnn],
      ['trans', [trans], expected.trans],
      ['ensemble', [cnn, trans], expected.ensemble],
    ];
    for (const [name, models, labels] of cases) {
      const s = await createSegmenter(models);
      const got = await s.segmentVolume(volume, [D, H, W], { batchSize: 4 });
      expect({ name, same: Buffer.from(got.labels).equals(Buffer.from(labels)) }).toEqual({ name, same: true });
      await s.release();
    }
    // The phantom exercises more than one class, so the comparison means something.
    expect(new Set(expected.ensemble).size).toBeGreaterThan(1);
  });

  test('a slice, a batch and a volume agree; probabilities are the ensemble mean and sum to 1', async () => {
    const s = await createSegmenter([cnn, trans]);
    const vol = await s.segmentVolume(volume, [D, H, W], { probabilities: true, batchSize: 16 });
    const batch = await s.segmentBatch(volume, [D, 1, H, W], { batchSize: 1 });
    expect(Buffer.from(batch.labels).equals(Buffer.from(vol.labels))).toBe(true);
    const slice = await s.segmentSlice(volume.subarray(2 * H * W, 3 * H * W), [H, W], { probabilities: true });
    expect(slice.shape).toEqual([H, W]);
    expect(Array.from(slice.labels)).toEqual(Array.from(vol.labels.subarray(2 * H * W, 3 * H * W)));
    const probs = vol.probabilities!;
    for (const j of [0, 17, H * W - 1]) {
      const sum = [0, 1, 2, 3].reduce((a, k) => a + probs[(0 * 4 + k) * H * W + j]!, 0);
      expect(sum).toBeCloseTo(1, 5);
    }
    const single = await Promise.all(
      [cnn, trans].map(async (m) => {
        const one = await createSegmenter(m);
        const r = await one.segmentSlice(volume.subarray(0, H * W), [H, W], { probabilities: true });
        await one.release();
        return r.probabilities!;
      }),
    );
    for (const i of [0, 100, 4 * H * W - 1]) expect(probs[i]).toBeCloseTo((single[0]![i]! + single[1]![i]!) / 2, 6);
    await s.release();
  });

  test('models of different input sizes ensemble at full resolution', async () => {
    const big = await exportedModel({ arch: 'unet', size: 48, seed: 5, sharpen: 10 });
    const s = await createSegmenter([cnn, big]);
    const r = await s.segmentVolume(volume, [D, H, W]);
    expect(r.shape).toEqual([D, H, W]);
    expect(s.modelInfo.map((m) => m.height)).toEqual([32, 48]);
    await s.release();
  });

  test.each([
    [
      'rank',
      () => new Float32Array(H * W),
      [1, 1, 1, H, W],
      /shape \[1, 1, 1, 40, 36\] has rank 5, expected \[N, H, W\] or \[N, C, H, W\]/,
    ],
    ['size', () => new Float32Array(10), [D, H, W], /image holds 10 values, expected 8640 for shape \[6, 40, 36\]/],
    [
      'NaN',
      () => Float32Array.from({ length: D * H * W }, (_, i) => (i === 3 * H * W + 5 * W + 7 ? NaN : 0)),
      [D, H, W],
      /value NaN at index 4507 \(slice 3, channel 0, y 5, x 7\); expected finite numbers/,
    ],
    [
      'channels',
      () => new Float32Array(D * 3 * H * W),
      [D, 3, H, W],
      /image has 3 channels \(shape \[6, 3, 40, 36\]\), the model expects 1/,
    ],
    ['shape', () => new Float32Array(4), [2, 0.5], /shape must be an array of positive integers/],
  ])('bad input (%s) is a clear error', async (_, make, shape, message) => {
    const s = await createSegmenter(cnn);
    await expect(s.segmentVolume(make(), shape as number[])).rejects.toThrow(message);
    await s.release();
  });

  test.each([
    [{ batchSize: 0 }, /batchSize must be a positive integer, got 0/],
    [{ edge: 'wrap' }, /edge must be 'scipy' or 'clamp', got "wrap"/],
    [{ batch: 3 }, /unknown option batch; expected batchSize/],
    [{ intensity: [1, 0] }, /intensity: expected 'minmax', 'none' or a window \[lo, hi\] with hi > lo/],
  ])('bad options %j are a clear error', async (options, message) => {
    const s = await createSegmenter(cnn);
    await expect(s.segmentSlice(new Float32Array(H * W), [H, W], options as never)).rejects.toThrow(message);
    await s.release();
  });

  test('a corrupt model, and an ensemble with different class counts, are clear errors', async () => {
    const corrupt = cnn.slice(0, 1000);
    await expect(createSegmenter(corrupt)).rejects.toThrow(
      /model <1000 bytes>: onnxruntime cannot load it \(.+\); expected an ONNX model exported by 'mcsc export'/,
    );
    await expect(createSegmenter('/nonexistent/m.onnx')).rejects.toThrow(/model \/nonexistent\/m\.onnx: cannot read: ENOENT/);
    const three = await exportedModel({ arch: 'unet', size: P, classes: 3 });
    await expect(Segmenter.create(nodeRuntime({ threads: 1 }), [cnn, three])).rejects.toThrow(
      /1 channel\(s\) and 3 classes, but model <\d+ bytes> has 1 and 4; an ensemble needs the same channels and classes/,
    );
  });
});

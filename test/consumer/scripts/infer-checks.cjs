// @mcsc/infer (Node entry): segment a volume with a model exported by @mcsc/graph, from bytes and from
// a file, and through a NIfTI round trip (predictFile: the bundled NIfTI reader, gzip, writeFileAtomic).
'use strict';
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { assert } = require('./lib.cjs');
const { thresholdModel, bandVolume } = require('./tiny-model.cjs');

const [D, H, W] = [3, 16, 16];

module.exports = async function checkInfer(infer, g) {
  const bytes = await thresholdModel(g, g.nodeRuntime(), H);
  const { volume, expected } = bandVolume(D, H, W);
  const same = (labels, what) => {
    assert(labels instanceof Uint8Array && labels.length === D * H * W, `${what}: ${D * H * W} labels, got ${labels?.length}`);
    const wrong = labels.findIndex((v, i) => v !== expected[i]);
    assert(wrong < 0, `${what}: label ${wrong} is ${labels[wrong]}, expected ${expected[wrong]}`);
  };

  const segmenter = await infer.createSegmenter(bytes);
  assert(segmenter.classes === 2 && segmenter.channels === 1, `model info: ${JSON.stringify(segmenter.modelInfo)}`);
  const result = await segmenter.segmentVolume(volume, [D, H, W], { probabilities: true });
  await segmenter.release();
  assert(result.shape.join() === [D, H, W].join(), `shape [${result.shape}]`);
  assert(result.probabilities.length === D * 2 * H * W, 'probabilities [D, K, H, W]');
  same(result.labels, 'segmentVolume');

  const dir = mkdtempSync(join(tmpdir(), 'mcsc-consumer-infer-'));
  try {
    writeFileSync(join(dir, 'model.onnx'), bytes);
    const fromFile = await infer.createSegmenter(join(dir, 'model.onnx'));
    same((await fromFile.segmentVolume(volume, [D, H, W])).labels, 'segmentVolume, model from a path');
    await fromFile.release();
    await infer.writeNifti(join(dir, 'scan.nii.gz'), volume, { dims: [W, H, D], spacing: [1, 1, 2] });
    await infer.predictFile({ models: [join(dir, 'model.onnx')], input: join(dir, 'scan.nii.gz'), out: join(dir, 'labels.nii.gz') });
    const written = await infer.readNifti(join(dir, 'labels.nii.gz'));
    assert(written.dims.join() === [W, H, D].join(), `labels.nii.gz dims [${written.dims}]`);
    same(Uint8Array.from(written.data), 'predictFile → labels.nii.gz');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const foreground = expected.reduce((a, b) => a + b, 0);
  return `segmentVolume [${result.shape}] labels match (${foreground} foreground voxels); from path and NIfTI too`;
};

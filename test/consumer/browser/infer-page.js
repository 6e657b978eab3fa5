// Browser page for @mcsc/infer/browser: loads model.onnx (served next to the page) on onnxruntime-web's
// wasm backend and segments the band volume of tiny-model.cjs; run.mjs compares the labels in Node.
import { createSegmenter } from '@mcsc/infer/browser';
import { bandVolume } from './tiny-model.cjs';

const [D, H, W] = [3, 16, 16];

(async () => {
  const segmenter = await createSegmenter(new URL('model.onnx', location.href).href, { device: 'wasm' });
  const { volume } = bandVolume(D, H, W);
  const { shape, classes, labels } = await segmenter.segmentVolume(volume, [D, H, W]);
  await segmenter.release();
  window.__consumer = { ok: true, shape, classes, labels: Array.from(labels) };
})().catch((e) => {
  window.__consumer = { ok: false, error: String(e?.stack ? e.stack : e) };
});

// Runs one bundled page (`node run.mjs core|infer`) in Debian's Chromium via the workspace's
// playwright-core, served from web/ on 127.0.0.1, and asserts its result in Node. The infer page gets
// model.onnx (the threshold model of tiny-model.cjs, exported here) and onnxruntime-web's wasm files
// from this folder's node_modules, so nothing is fetched from the internet.
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as g from '@mcsc/graph/node';
import { assert, main } from './lib.cjs';
import serve from './serve.cjs';
import { bandVolume, thresholdModel } from './tiny-model.cjs';

const page = process.argv[2];
const CHROMIUM = process.env.MCSC_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

main(async () => {
  assert(page === 'core' || page === 'infer', `usage: node run.mjs core|infer, got ${page}`);
  assert(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set MCSC_CHROMIUM)`);
  const { chromium } = createRequire(join(process.env.MCSC_ROOT, 'package.json'))('playwright-core');
  writeFileSync(join('web', `${page}.html`), `<!doctype html><meta charset="utf-8"><script type="module" src="${page}.js"></script>\n`);
  if (page === 'infer') {
    for (const f of ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs'])
      copyFileSync(join('node_modules/onnxruntime-web/dist', f), join('web', f));
    writeFileSync(join('web', 'model.onnx'), await thresholdModel(g, g.nodeRuntime(), 16));
  }
  const server = await serve('web');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const tab = await browser.newPage();
    const errors = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(`${server.url}${page}.html`);
    await tab
      .waitForFunction(() => window.__consumer !== undefined, undefined, { timeout: 60_000 })
      .catch((e) => {
        throw new Error(`${page} page gave no result: ${e.message}; page errors: ${errors.join('; ') || 'none'}`);
      });
    const result = await tab.evaluate(() => window.__consumer);
    assert(result.ok, `${page} page failed: ${result.error}`);
    if (page === 'core') {
      assert(/^dice 0\.5, hd95 1, /.test(result.summary), `core page: ${result.summary}`);
      console.log(`Chromium ${browser.version()}: ${result.summary}`);
    } else {
      const { expected } = bandVolume(3, 16, 16);
      assert(result.shape.join() === '3,16,16' && result.classes === 2, `infer page: shape [${result.shape}], ${result.classes} classes`);
      const wrong = result.labels.findIndex((v, i) => v !== expected[i]);
      assert(wrong < 0, `infer page: label ${wrong} is ${result.labels[wrong]}, expected ${expected[wrong]}`);
      console.log(`Chromium ${browser.version()}: wasm segmentVolume [${result.shape}] labels match Node's expectation`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
});

/**
 * Training in the browser equals training in Node: examples/browser-training runs three AdamW steps of
 * a small UNet-like net (BatchNorm, dropout) on onnxruntime-web in Debian's Chromium; the same recipe
 * on onnxruntime-node gives the same losses (1e-4 relative), and the state saved in the browser loads
 * into a Node session, which continues exactly as the Node-trained one does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { nodeRuntime } from '../src/node';
import { createRecipeSession, recipeBatches, RECIPE, trainRecipe } from '../../../examples/browser-training/recipe';
import { buildWebDemo } from '../../../examples/web/scripts/build-site';
import { serveStatic, type StaticServer } from '../../../examples/web/scripts/static-server';
import { launchChromium } from '../../../test/helpers/chromium';

let dir: string;
let server: StaticServer | undefined;
let browser: Browser | undefined;
let fromBrowser: { losses: number[]; state: Uint8Array; runtime: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mcsc-browser-training-'));
  const site = await buildWebDemo(join(dir, 'site'), { webDir: join(__dirname, '../../../examples/browser-training'), minify: false });
  server = await serveStatic(site);
  browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(server.url);
  const done = await page.evaluate(
    () => (window as unknown as { mcsc: { done: Promise<{ losses: number[]; stateBase64: string; runtime: string }> } }).mcsc.done,
  );
  fromBrowser = { losses: done.losses, state: new Uint8Array(Buffer.from(done.stateBase64, 'base64')), runtime: done.runtime };
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('three AdamW steps on onnxruntime-web give the losses of onnxruntime-node (1e-4 relative)', async () => {
  expect(fromBrowser.runtime).toMatch(/^onnxruntime-web .*\((wasm|webgpu),/);
  const fromNode = await trainRecipe(nodeRuntime());
  expect(fromBrowser.losses).toHaveLength(RECIPE.steps);
  fromBrowser.losses.forEach((loss, i) => {
    expect(Number.isFinite(loss)).toBe(true);
    expect(Math.abs(loss - fromNode.losses[i]!)).toBeLessThanOrEqual(1e-4 * Math.abs(fromNode.losses[i]!));
  });
  // The steps changed the weights (a run that did nothing would also "agree").
  expect(fromBrowser.losses[2]).not.toBe(fromBrowser.losses[0]);
});

test('the state saved in the browser loads in Node and continues like the Node-trained session', async () => {
  const batches = recipeBatches(RECIPE.steps + 2);
  const nodeTrained = await createRecipeSession(nodeRuntime());
  for (const b of batches.slice(0, RECIPE.steps)) await nodeTrained.step(b, { lr: RECIPE.lr });
  const resumed = await createRecipeSession(nodeRuntime());
  expect(resumed.importState(fromBrowser.state, 'browser state').trainedIn).toBe(fromBrowser.runtime);
  expect(resumed.stepCount).toBe(RECIPE.steps);
  for (const b of batches.slice(RECIPE.steps)) {
    const [a, c] = [(await nodeTrained.step(b, { lr: RECIPE.lr })).loss!, (await resumed.step(b, { lr: RECIPE.lr })).loss!];
    expect(Math.abs(a - c)).toBeLessThanOrEqual(1e-4 * Math.abs(a));
  }
});

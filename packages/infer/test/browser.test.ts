/**
 * The demo page in Chromium gives the labels Node gives: the page is built (esbuild, the package's
 * browser entry), served on 127.0.0.1 with onnxruntime-web's wasm next to it, loads two small
 * exported models as models/cnn.onnx and models/transformer.onnx, opens a NIfTI volume and a PNG
 * through its file input, and runs CNN, Transformer and ensemble through its own buttons.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildWebDemo } from '../../../examples/web/scripts/build-site';
import { serveStatic, type StaticServer } from '../../../examples/web/scripts/static-server';
import { createSegmenter, decodePng, encodePng, predictFile, readNifti, rgbaToPlanes, writeNifti } from '../src/index';
import { launchChromium } from '../../../test/helpers/chromium';
import { exportedModel, phantomVolume } from './helpers/models';

const [X, Y, Z] = [36, 40, 6];
let dir: string;
let server: StaticServer | undefined;
let browser: Browser | undefined;
let page: Page;
const models: Record<'cnn' | 'transformer', string> = { cnn: '', transformer: '' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mcsc-browser-'));
  models.cnn = join(dir, 'cnn.onnx');
  models.transformer = join(dir, 'transformer.onnx');
  writeFileSync(models.cnn, await exportedModel({ arch: 'unet', size: 32, seed: 3, sharpen: 10 }));
  writeFileSync(models.transformer, await exportedModel({ arch: 'swin-unet', size: 32, seed: 4, sharpen: 10 }));
  await writeNifti(join(dir, 'scan.nii.gz'), phantomVolume(Z, Y, X), { dims: [X, Y, Z], spacing: [1.5, 1.5, 5] });
  const slice = phantomVolume(1, 48, 44, 11);
  const grey = new Uint8Array(48 * 44 * 4).map((_, i) => (i % 4 === 3 ? 255 : Math.min(255, slice[i >> 2]! / 4)));
  writeFileSync(join(dir, 'slice.png'), encodePng(grey, 44, 48));
  const site = await buildWebDemo(join(dir, 'site'), { webDir: join(__dirname, '../../../examples/web'), models, minify: false });
  server = await serveStatic(site);
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(server.url);
  await page.evaluate(() => (window as unknown as { mcsc: { ready: Promise<void> } }).mcsc.ready);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Picks `file`, chooses `mode`, presses Segment and returns the page's labels. */
async function pageLabels(file: string, mode: string): Promise<Uint8Array> {
  const before = await page.evaluate(() => (window as unknown as { mcsc: { runs: number } }).mcsc.runs);
  await page.setInputFiles('#volume', file);
  await page.selectOption('#mode', mode);
  await page.click('#run');
  await page.waitForFunction((n) => (window as unknown as { mcsc: { runs: number } }).mcsc.runs > n, before, { timeout: 60_000 });
  const { error, labels } = await page.evaluate(() => {
    const m = (window as unknown as { mcsc: { error: string | null; result: { labels: Uint8Array } | null } }).mcsc;
    return { error: m.error, labels: m.result ? Array.from(m.result.labels) : [] };
  });
  if (error) throw new Error(`page: ${error}`);
  return Uint8Array.from(labels);
}

test('the page loaded both models on wasm', async () => {
  expect(await page.textContent('#models')).toMatch(
    /cnn: cnn\.onnx — 1×32×32 → 4 classes\s+transformer: transformer\.onnx — 1×32×32 → 4 classes/,
  );
  expect(await page.evaluate(() => (window as unknown as { mcsc: { runtime(): { device: string } } }).mcsc.runtime().device)).toBe('wasm');
});

test.each([
  ['cnn', ['cnn']],
  ['transformer', ['transformer']],
  ['ensemble', ['cnn', 'transformer']],
] as const)('NIfTI volume, %s: the page’s labels equal mcsc predict’s in Node', async (mode, names) => {
  const out = join(dir, `node-${mode}.nii`);
  await predictFile({ models: names.map((n) => models[n]), input: join(dir, 'scan.nii.gz'), out });
  const expected = (await readNifti(out)).data as Uint8Array;
  const got = await pageLabels(join(dir, 'scan.nii.gz'), mode);
  expect(got.length).toBe(X * Y * Z);
  expect(Buffer.from(got).equals(Buffer.from(expected))).toBe(true);
  expect(new Set(expected).size).toBeGreaterThan(1);
});

test('PNG, ensemble: the page’s labels equal Node’s', async () => {
  const png = decodePng(readFileSync(join(dir, 'slice.png')), 'slice.png');
  const s = await createSegmenter([models.cnn, models.transformer]);
  const expected = await s.segmentSlice(rgbaToPlanes(png.rgba, png.width, png.height, 1), [png.height, png.width], { intensity: 'minmax' });
  await s.release();
  const got = await pageLabels(join(dir, 'slice.png'), 'ensemble');
  expect(Buffer.from(got).equals(Buffer.from(expected.labels))).toBe(true);
});

test('a file that is neither NIfTI nor a picture is a clear error on the page', async () => {
  const bad = join(dir, 'notes.nii');
  writeFileSync(bad, 'not a volume'.repeat(40));
  await expect(pageLabels(bad, 'cnn')).rejects.toThrow(/page: NIfTI file notes\.nii: not a NIfTI-1 file/);
});

/**
 * Inference benchmark: per-slice latency at 224 × 224 of the paper's UNet and Swin-UNet (Swin-Tiny),
 * seeded random weights exported in-process, at batch 1 and 16 in Node (onnxruntime-node, CPU), and of
 * the UNet in Chromium on onnxruntime-web's wasm through the demo page. Prints a Markdown table; the
 * batched/single throughput ratio comes from the same run.
 *
 *     pnpm --filter @mcsc/infer bench
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrainingSession, softmax, nodeRuntime } from '@mcsc/graph/node';
import { createSegmenter } from '../src/index.js';
import { networkPreset, segmentationNet, type ModelConfig } from '@mcsc/train';
import { buildWebDemo } from '../../../examples/web/scripts/build-site.js';
import { serveStatic } from '../../../examples/web/scripts/static-server.js';
import { launchChromium } from '../../../test/helpers/chromium.js';
import { medianMs } from '../../graph/bench/timing.js';

const SIZE = 224;
const BATCHES = [1, 16] as const;
/** Timed runs per batch size (after one warm-up run); fewer for 16 slices, which take longer. */
const RUNS: Record<number, number> = { 1: 8, 16: 2 };

/** Runs in the page: median time of `segmentBatch` per batch size, with the page's own CNN segmenter. */
const BROWSER_TIMING = `async ({ batches, runs, size }) => {
  const mcsc = window.mcsc;
  await mcsc.ready;
  const s = mcsc.segmenter('cnn');
  const out = [];
  for (const b of batches) {
    const input = Float32Array.from({ length: b * size * size }, (_, i) => ((i * 2654435761) % 1000) / 1000);
    await s.segmentBatch(input, [b, size, size], { batchSize: b });
    const times = [];
    for (let i = 0; i < runs[b]; i++) {
      const t = performance.now();
      await s.segmentBatch(input, [b, size, size], { batchSize: b });
      times.push(performance.now() - t);
    }
    times.sort((x, y) => x - y);
    out.push({ batch: b, ms: times[Math.floor(times.length / 2)] });
  }
  return { runtime: mcsc.runtime().description, out };
}`;

interface Row {
  network: string;
  runtime: string;
  batch: number;
  perSliceMs: number;
}

async function exported(config: ModelConfig): Promise<Uint8Array> {
  const session = await TrainingSession.create({
    runtime: nodeRuntime(),
    build: (g) => ({
      outputs: { probs: softmax(segmentationNet(g, g.input('image', [1, config.inChannels, SIZE, SIZE]), config).logits, 1) },
    }),
    seed: 1,
  });
  return session.exportInference();
}

function slices(n: number): Float32Array {
  return Float32Array.from({ length: n * SIZE * SIZE }, (_, i) => ((i * 2654435761) % 1000) / 1000);
}

async function main(): Promise<void> {
  const threads = availableParallelism();
  const preset = networkPreset('paper');
  const dir = mkdtempSync(join(tmpdir(), 'mcsc-infer-bench-'));
  const rows: Row[] = [];
  try {
    const unet = await exported(preset.cnn);
    console.log(`# @mcsc/infer bench: ${cpus()[0]?.model ?? 'CPU'}, ${threads} cores; onnxruntime-node intra-op threads ${threads}\n`);
    for (const [name, config, bytes] of [
      ['UNet', preset.cnn, unet],
      ['Swin-UNet (Swin-Tiny)', preset.transformer, null],
    ] as const) {
      const s = await createSegmenter(bytes ?? (await exported(config)), { threads });
      for (const b of BATCHES) {
        const input = slices(b);
        const ms = await medianMs(RUNS[b]!, () => s.segmentBatch(input, [b, SIZE, SIZE], { batchSize: b }));
        rows.push({ network: name, runtime: 'Node, onnxruntime-node CPU', batch: b, perSliceMs: ms / b });
        console.error(`  ${name} node batch ${b}: ${(ms / b).toFixed(1)} ms/slice`);
      }
      await s.release();
    }

    // The UNet in Chromium (wasm), through the demo page's own model loading.
    const site = await buildWebDemo(join(dir, 'site'), {
      webDir: fileURLToPath(new URL('../../../examples/web/', import.meta.url)),
      models: {},
    });
    writeFileSync(join(site, 'models', 'cnn.onnx'), unet);
    const server = await serveStatic(site);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}?device=wasm`);
      // Source text, not a function: tsx's transform would wrap a function's inner names in a helper
      // (`__name`) that does not exist in the page.
      const web = (await page.evaluate(`(${BROWSER_TIMING})(${JSON.stringify({ batches: BATCHES, runs: RUNS, size: SIZE })})`)) as {
        runtime: string;
        out: { batch: number; ms: number }[];
      };
      for (const { batch, ms } of web.out) {
        rows.push({ network: 'UNet', runtime: `Chromium, ${web.runtime}`, batch, perSliceMs: ms / batch });
        console.error(`  UNet chromium batch ${batch}: ${(ms / batch).toFixed(1)} ms/slice`);
      }
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  console.log('| network | runtime | batch | ms per slice (224²) | slices/s | batch-16 / batch-1 throughput |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const single = rows.find((o) => o.network === r.network && o.runtime === r.runtime && o.batch === 1)!;
    const ratio = r.batch === 1 ? '' : (single.perSliceMs / r.perSliceMs).toFixed(2);
    console.log(
      `| ${r.network} | ${r.runtime} | ${r.batch} | ${r.perSliceMs.toFixed(1)} | ${(1000 / r.perSliceMs).toFixed(1)} | ${ratio} |`,
    );
  }
}

await main();

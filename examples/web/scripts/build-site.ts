/**
 * Builds the static demo into a folder: main.js (the page code and @mcsc/infer's browser entry,
 * bundled by esbuild), index.html, and onnxruntime-web's WebAssembly files, so that the page loads
 * nothing from the internet. Models go into `models/` when given (e.g. a training run's folder).
 * Used by `../build.ts`, the browser test and the benchmark (jest runs CommonJS, hence no import.meta here).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

/** onnxruntime-web's default bundle runs the WebGPU-capable (JSEP) build; these are its two files. */
const ORT_FILES = ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs'];

export interface BuildOptions {
  /** The demo's folder, examples/web (callers know it: jest runs CommonJS, tsx runs ES modules). */
  readonly webDir: string;
  /** Copied to `models/cnn.onnx` and `models/transformer.onnx` when given. */
  readonly models?: { readonly cnn?: string; readonly transformer?: string };
  readonly minify?: boolean;
}

/** Builds the page into `outDir` (created if needed) and returns `outDir`. */
export async function buildWebDemo(outDir: string, options: BuildOptions): Promise<string> {
  const webDir = resolve(options.webDir);
  const root = resolve(webDir, '../..');
  mkdirSync(join(outDir, 'models'), { recursive: true });
  await build({
    entryPoints: [join(webDir, 'main.ts')],
    outfile: join(outDir, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: options.minify ?? true,
    sourcemap: true,
    // The root tsconfig maps @mcsc/infer/browser to its source, so no package build is needed first.
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'warning',
  });
  copyFileSync(join(webDir, 'index.html'), join(outDir, 'index.html'));
  const require = createRequire(join(root, 'packages/infer/package.json'));
  for (const f of ORT_FILES) copyFileSync(require.resolve(`onnxruntime-web/${f}`), join(outDir, f));
  for (const [name, path] of Object.entries(options.models ?? {})) {
    if (path !== undefined) copyFileSync(path, join(outDir, 'models', `${name}.onnx`));
  }
  return outDir;
}

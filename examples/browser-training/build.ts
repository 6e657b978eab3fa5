/**
 * Builds the page into a folder (default examples/browser-training/dist) with onnxruntime-web's wasm
 * beside it; serve it with examples/web's server (it sends the headers wasm threads need):
 *
 *     pnpm tsx --tsconfig tsconfig.json examples/browser-training/build.ts [outDir]
 *     pnpm tsx --tsconfig tsconfig.json examples/web/serve.ts examples/browser-training/dist
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWebDemo } from '../web/scripts/build-site.js';

const webDir = fileURLToPath(new URL('.', import.meta.url));
const out = process.argv[2] !== undefined ? resolve(process.argv[2]) : join(webDir, 'dist');
await buildWebDemo(out, { webDir });
console.log(`built ${out}`);

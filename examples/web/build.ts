/**
 * Builds the demo into a folder (default examples/web/dist), optionally with a training run's models:
 *
 *     pnpm --filter @mcsc/web-demo build [outDir] [--models runs/mcsc-cpu]
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWebDemo } from './scripts/build-site.js';

const webDir = fileURLToPath(new URL('.', import.meta.url));
// pnpm runs scripts in this folder; paths on the command line are meant from where pnpm was started.
const cwd = process.env.INIT_CWD ?? process.cwd();
const args = process.argv.slice(2).filter((a) => a !== '--');
const at = args.indexOf('--models');
const run = at >= 0 ? resolve(cwd, args.splice(at, 2)[1]!) : undefined;
const out = args[0] !== undefined ? resolve(cwd, args[0]) : join(webDir, 'dist');
const models =
  run === undefined
    ? {}
    : Object.fromEntries(['cnn', 'transformer'].map((n) => [n, join(run, `${n}.onnx`)]).filter(([, p]) => existsSync(p!)));
await buildWebDemo(out, { webDir, models });
console.log(
  `built ${out}${run !== undefined ? ` with the models of ${run}` : ''}; serve it with: pnpm --filter @mcsc/web-demo serve ${out}`,
);

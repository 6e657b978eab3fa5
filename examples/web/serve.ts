/**
 * Serves the built demo on 127.0.0.1 (default examples/web/dist, port 8080):
 *
 *     pnpm --filter @mcsc/web-demo serve [dir] [--port 8080]
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from './scripts/static-server.js';

// pnpm runs scripts in this folder; paths on the command line are meant from where pnpm was started.
const cwd = process.env.INIT_CWD ?? process.cwd();
const args = process.argv.slice(2).filter((a) => a !== '--');
const at = args.indexOf('--port');
const port = at >= 0 ? Number(args.splice(at, 2)[1]) : 8080;
const { url } = await serveStatic(
  args[0] !== undefined ? resolve(cwd, args[0]) : join(fileURLToPath(new URL('.', import.meta.url)), 'dist'),
  port,
);
console.log(`serving on ${url} (Ctrl-C stops)`);

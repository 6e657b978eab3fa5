// Bundles the two pages for the browser with esbuild (the workspace's copy, found through tsup), from
// the consumer folder's node_modules, i.e. the installed tarballs. Any import of a Node built-in
// (fs, path, node:*, ...) anywhere in the graph fails the bundle: the browser entries must not need one.
import { builtinModules, createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { join } from 'node:path';

const root = process.env.MCSC_ROOT;
if (!root) throw new Error('MCSC_ROOT (the workspace root) is not set');
const fromRoot = createRequire(join(root, 'package.json'));
const esbuild = createRequire(fromRoot.resolve('tsup'))('esbuild');
const builtins = new Set(builtinModules);

const noNodeBuiltins = {
  name: 'no-node-builtins',
  setup(build) {
    build.onResolve({ filter: /.*/ }, ({ path, importer }) => {
      const base = path.startsWith('node:') ? path.slice(5) : path.split('/')[0];
      if (path.startsWith('node:') || builtins.has(base)) return { errors: [{ text: `Node built-in '${path}' imported by ${importer}` }] };
      return undefined;
    });
  },
};

const sizes = [];
for (const page of ['core', 'infer']) {
  const outfile = join('web', `${page}.js`);
  await esbuild.build({
    entryPoints: [`${page}-page.js`],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    plugins: [noNodeBuiltins],
    logLevel: 'error',
  });
  sizes.push(`${page}.js ${(statSync(outfile).size / 1024).toFixed(0)} KiB`);
}
console.log(`esbuild ${esbuild.version}, platform browser, no Node built-ins: ${sizes.join(', ')}`);

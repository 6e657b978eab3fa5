// Static checks of the installed @mcsc/* packages: every file their package.json points at (exports,
// main, module, types, bin) is in the tarball; no `workspace:` range survived packing; and every bare
// module a dist file imports or requires is a declared dependency or peer (else it only works inside
// the monorepo, where pnpm happens to link it).
'use strict';
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { builtinModules } = require('node:module');
const { join } = require('node:path');
const { main } = require('./lib.cjs');

const targets = (value) =>
  typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.values(value).flatMap(targets) : [];
const builtins = new Set(builtinModules);
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"'./][^"']*)["']/gm;

main(() => {
  const scope = join('node_modules', '@mcsc');
  const problems = [];
  let files = 0;
  for (const name of readdirSync(scope)) {
    const dir = join(scope, name);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const rel of [...targets(pkg.exports), pkg.main, pkg.module, pkg.types, ...targets(pkg.bin)].filter(Boolean)) {
      files++;
      if (!existsSync(join(dir, rel))) problems.push(`${pkg.name}: package.json points at ${rel}, which the tarball lacks`);
    }
    for (const [field, deps] of Object.entries({ dependencies: pkg.dependencies, peerDependencies: pkg.peerDependencies })) {
      for (const [dep, range] of Object.entries(deps ?? {}))
        if (String(range).startsWith('workspace:')) problems.push(`${pkg.name}: ${field}.${dep} is still '${range}'`);
    }
    const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), pkg.name]);
    const walk = (d) =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
    for (const file of walk(join(dir, 'dist')).filter((f) => /\.(c|m)?js$/.test(f))) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const base = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!builtins.has(base) && !spec.startsWith('node:') && !declared.has(base))
          problems.push(`${file} imports '${spec}', not a dependency or peer of ${pkg.name}`);
      }
    }
  }
  if (problems.length) throw new Error(`packaging problems:\n  ${[...new Set(problems)].join('\n  ')}`);
  console.log(
    `${readdirSync(scope).length} packages: ${files} package.json targets present, no workspace: ranges, every imported module declared`,
  );
});

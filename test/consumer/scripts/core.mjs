// @mcsc/core through its ESM build (the "import" condition of its exports map).
import * as core from '@mcsc/core';
import { createRequire } from 'node:module';
import ndarray from 'ndarray';
import checkCore from './core-checks.cjs';
import { assert, main } from './lib.cjs';

main(() => {
  const entry = import.meta.resolve('@mcsc/core');
  assert(entry.endsWith('/dist/index.js'), `ESM entry resolved to ${entry}`);
  const cjsGraph = createRequire(import.meta.url)('@mcsc/graph');
  console.log(`ESM: ${checkCore(core, ndarray, cjsGraph.McscError)}`);
});

// @mcsc/core through its ESM build (the "import" condition of its exports map).
import * as core from '@mcsc/core';
import ndarray from 'ndarray';
import checkCore from './core-checks.cjs';
import { assert, main } from './lib.cjs';

main(() => {
  const entry = import.meta.resolve('@mcsc/core');
  assert(entry.endsWith('/dist/index.js'), `ESM entry resolved to ${entry}`);
  console.log(`ESM: ${checkCore(core, ndarray)}`);
});

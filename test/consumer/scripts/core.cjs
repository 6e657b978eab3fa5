// @mcsc/core through its CJS build (the "require" condition of its exports map).
'use strict';
const core = require('@mcsc/core');
const ndarray = require('ndarray');
const checkCore = require('./core-checks.cjs');
const { assert, main } = require('./lib.cjs');

main(async () => {
  const entry = require.resolve('@mcsc/core');
  assert(entry.endsWith('/dist/index.cjs'), `CJS entry resolved to ${entry}`);
  const esmGraph = await import('@mcsc/graph');
  console.log(`CJS: ${checkCore(core, ndarray, esmGraph.McscError)}`);
});

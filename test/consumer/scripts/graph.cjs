// @mcsc/graph/node through its CJS build.
'use strict';
const g = require('@mcsc/graph/node');
const checkGraph = require('./graph-checks.cjs');
const { assert, main } = require('./lib.cjs');

main(async () => {
  const entry = require.resolve('@mcsc/graph/node');
  assert(entry.endsWith('/dist/node.cjs'), `CJS entry resolved to ${entry}`);
  console.log(`CJS: ${await checkGraph(g)}`);
});

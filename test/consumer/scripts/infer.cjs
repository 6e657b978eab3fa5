// @mcsc/infer through its CJS build, with the model exported by @mcsc/graph/node's CJS build.
'use strict';
const infer = require('@mcsc/infer');
const g = require('@mcsc/graph/node');
const checkInfer = require('./infer-checks.cjs');
const { assert, main } = require('./lib.cjs');

main(async () => {
  const entry = require.resolve('@mcsc/infer');
  assert(entry.endsWith('/dist/index.cjs'), `CJS entry resolved to ${entry}`);
  console.log(`CJS: ${await checkInfer(infer, g)}`);
});

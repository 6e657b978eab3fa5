// @mcsc/train through its CJS build: require() must work although the package is "type": "module".
'use strict';
const t = require('@mcsc/train');
const checkTrain = require('./train-checks.cjs');
const { assert, main } = require('./lib.cjs');

main(() => {
  const entry = require.resolve('@mcsc/train');
  assert(entry.endsWith('/dist/index.cjs'), `CJS entry resolved to ${entry}`);
  console.log(`CJS: ${checkTrain(t)}`);
});

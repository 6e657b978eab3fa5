// Core-only install, CJS: '@mcsc/graph' (pure entry) and '@mcsc/core' without any onnxruntime.
'use strict';
const g = require('@mcsc/graph');
const core = require('@mcsc/core');
const ndarray = require('ndarray');
const checkPure = require('./pure-checks.cjs');
const { main } = require('./lib.cjs');

main(() => console.log(`CJS: ${checkPure(g, core, ndarray, require.resolve)}`));

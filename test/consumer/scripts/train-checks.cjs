// @mcsc/train's library API: the exports a program uses, and the trainer config of tiny.json resolved
// and validated (zod inside the package) exactly as `mcsc train --config tiny.json` will.
'use strict';
const { join } = require('node:path');
const { assert } = require('./lib.cjs');

module.exports = function checkTrain(t) {
  for (const name of [
    'train',
    'evaluateRun',
    'resolveConfig',
    'parseConfig',
    'readConfigFile',
    'exportModel',
    'segmentationNet',
    'unet',
    'swinUnet',
    'compareMethods',
    'RunDir',
    'ConfigError',
  ]) {
    assert(typeof t[name] === 'function', `@mcsc/train exports ${name}, got ${typeof t[name]}`);
  }
  assert(t.PRESETS?.cpu && t.PRESETS.paper, 'PRESETS has cpu and paper');
  const config = t.resolveConfig('cpu', [t.readConfigFile(join(__dirname, 'tiny.json'))], 'tiny.json');
  assert(config.optim.iterations === 2 && config.model.patchSize === 32, `tiny.json resolves: ${JSON.stringify(config.optim)}`);
  let error;
  try {
    t.parseConfig({ optim: { iterations: 0 } });
  } catch (e) {
    error = e;
  }
  assert(
    error instanceof t.ConfigError && /optim\.iterations/.test(error.message),
    `a bad config is a ConfigError naming the field, got ${error}`,
  );
  return `exports present; tiny.json resolves (${config.optim.iterations} iterations, ${config.model.patchSize} px); bad config rejected`;
};

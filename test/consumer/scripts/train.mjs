// @mcsc/train through its ESM build.
import * as t from '@mcsc/train';
import checkTrain from './train-checks.cjs';
import { assert, main } from './lib.cjs';

main(() => {
  const entry = import.meta.resolve('@mcsc/train');
  assert(entry.endsWith('/dist/index.js'), `ESM entry resolved to ${entry}`);
  console.log(`ESM: ${checkTrain(t)}`);
});

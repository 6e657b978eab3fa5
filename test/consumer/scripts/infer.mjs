// @mcsc/infer through its ESM build, with the model exported by @mcsc/graph/node's ESM build.
import * as infer from '@mcsc/infer';
import * as g from '@mcsc/graph/node';
import checkInfer from './infer-checks.cjs';
import { assert, main } from './lib.cjs';

main(async () => {
  const entry = import.meta.resolve('@mcsc/infer');
  assert(entry.endsWith('/dist/index.js'), `ESM entry resolved to ${entry}`);
  console.log(`ESM: ${await checkInfer(infer, g)}`);
});

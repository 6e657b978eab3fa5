// @mcsc/graph/node through its ESM build.
import * as g from '@mcsc/graph/node';
import checkGraph from './graph-checks.cjs';
import { assert, main } from './lib.cjs';

main(async () => {
  const entry = import.meta.resolve('@mcsc/graph/node');
  assert(entry.endsWith('/dist/node.js'), `ESM entry resolved to ${entry}`);
  console.log(`ESM: ${await checkGraph(g)}`);
});

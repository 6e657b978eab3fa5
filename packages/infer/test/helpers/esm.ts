/**
 * nifti-reader-js ships ESM only and jest runs CommonJS: test files that reach it (through
 * `src/nifti.ts`) mock it with the real package loaded by Node's own loader (require(esm), Node ≥ 20.19):
 *
 *     jest.mock('nifti-reader-js', () => require('./helpers/esm').niftiReader(), { virtual: true });
 */
import { join } from 'node:path';

export function niftiReader(): unknown {
  const nodeModule = require('node:module') as { _load(request: string, parent: null, isMain: boolean): unknown };
  return nodeModule._load(join(__dirname, '../../node_modules/nifti-reader-js/dist/nifti.js'), null, false);
}

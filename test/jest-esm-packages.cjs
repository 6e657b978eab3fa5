// nifti-reader-js and h5wasm ship as ES modules only, and jest runs CommonJS. For every test file, these
// two packages are mocked with the real package loaded by Node's own loader (require(esm), Node ≥ 20.19)
// instead of jest's registry; the factories run only when a test reaches them.
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const loadNative = (path) => require('node:module')._load(path, null, false);

jest.mock('nifti-reader-js', () => loadNative(join(ROOT, 'packages/infer/node_modules/nifti-reader-js/dist/nifti.js')), { virtual: true });
jest.mock('h5wasm/node', () => loadNative(join(ROOT, 'packages/train/node_modules/h5wasm/dist/node/hdf5_hl.js')), { virtual: true });

import { ONNXRUNTIME, packageBuild } from '../graph/tsup.config';

// Two entries: `index` (Node: onnxruntime-node, files) and `browser` (onnxruntime-web, no Node modules).
// nifti-reader-js is bundled in: it ships as an ES module only (no `require` export), so the CJS build
// could not load it otherwise; it is ~100 kB.
export default packageBuild({ entry: ['src/index.ts', 'src/browser.ts'], noExternal: ['nifti-reader-js'], external: ONNXRUNTIME });

import { defineConfig } from 'tsup';

// Three entries: `index` (pure: no Node module, no onnxruntime), `node` (+ onnxruntime-node, fs) and
// `web` (+ onnxruntime-web). The runtimes are peer dependencies, never bundled.
export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts', 'src/web.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  external: ['onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common'],
});

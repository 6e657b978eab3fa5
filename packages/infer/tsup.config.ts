import { defineConfig } from 'tsup';

// Two entries: `index` (Node: onnxruntime-node, files) and `browser` (onnxruntime-web, no Node modules).
export default defineConfig({
  entry: ['src/index.ts', 'src/browser.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
});

import { defineConfig, type Options } from 'tsup';

/** onnxruntime: a peer dependency of the packages that run graphs (graph, infer), never bundled. */
export const ONNXRUNTIME = ['onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common'];

/** How every package builds (each packages/<p>/tsup.config.ts calls this): ESM and CJS, .d.ts files, sourcemaps, a clean dist. */
export const packageBuild = (options: Options) =>
  defineConfig({ format: ['esm', 'cjs'], dts: true, clean: true, sourcemap: true, ...options });

// Three entries: `index` (pure: no Node module, no onnxruntime), `node` (+ onnxruntime-node, fs) and
// `web` (+ onnxruntime-web). The runtimes are peer dependencies, never bundled.
export default packageBuild({ entry: ['src/index.ts', 'src/node.ts', 'src/web.ts'], external: ONNXRUNTIME });

/**
 * Vega and Vega-Lite for jest. They ship as ES modules only, and vega-canvas uses a top-level await (its
 * optional `canvas` import), so neither jest's CommonJS registry nor require(esm) can load them. A test
 * file that draws charts imports them with Node's real import() before its tests and hands them to the
 * source's `import('vega')` through module mocks:
 *
 *   jest.mock('vega', () => require('./vega-modules').vegaModule('vega'), { virtual: true });
 *   jest.mock('vega-lite', () => require('./vega-modules').vegaModule('vega-lite'), { virtual: true });
 *   beforeAll(preloadVega);
 *
 * Test files without this get no charts: the pages fall back to the PNG figures (charts.ts).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadNativeEsm } from '../data/helpers';

const ENTRY = { vega: 'vega/build/vega.module.js', 'vega-lite': 'vega-lite/build/index.js' } as const;
type Name = keyof typeof ENTRY;

const loaded: Partial<Record<Name, unknown>> = {};

/** Imports both packages with Node's loader (call in beforeAll). */
export async function preloadVega(): Promise<void> {
  const nativeImport = loadNativeEsm(join(__dirname, 'native-import.cjs')) as (specifier: string) => Promise<unknown>;
  for (const name of Object.keys(ENTRY) as Name[]) {
    loaded[name] ??= await nativeImport(pathToFileURL(join(__dirname, '../../node_modules', ENTRY[name])).href);
  }
}

/** The preloaded module (the mock factory's value). */
export function vegaModule(name: Name): unknown {
  const m = loaded[name];
  if (m === undefined) throw new Error(`${name} is not preloaded: call preloadVega() in beforeAll`);
  return m;
}

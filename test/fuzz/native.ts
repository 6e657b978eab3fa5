/**
 * h5wasm ships as an ES module only and jest runs CommonJS: the fuzz suites load the real package with
 * Node's own loader (require(esm), Node ≥ 20.19) to write their HDF5 corpora.
 */
import { join } from 'node:path';

/** Loads an ES module (path relative to the repository root) with Node's loader, bypassing jest's registry. */
export function loadNativeEsm(path: string): unknown {
  const nodeModule = require('node:module') as { _load(request: string, parent: null, isMain: boolean): unknown };
  return nodeModule._load(join(__dirname, '../..', path), null, false);
}

/** The part of h5wasm the suites use to write files. */
export interface H5wasmModule {
  readonly default: {
    readonly ready: Promise<unknown>;
    readonly File: new (
      path: string,
      mode: 'r' | 'w',
    ) => {
      create_dataset(args: {
        name: string;
        data: ArrayBufferView | string;
        shape?: number[];
        maxshape?: (number | null)[];
        chunks?: number[];
      }): { resize(shape: number[]): void };
      create_group(name: string): unknown;
      close(): void;
    };
  };
}

/** h5wasm's Node build, as the library code imports it (`h5wasm/node`, which the suites map to the real package). */
export function importH5wasm(): Promise<H5wasmModule> {
  const name: string = 'h5wasm/node';
  return import(name) as Promise<H5wasmModule>;
}

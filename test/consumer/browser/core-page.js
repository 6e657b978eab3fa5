// Browser page for @mcsc/core: the same hand-computed cases as core.mjs/core.cjs (core-checks.cjs),
// run inside Chromium from an esbuild bundle; the result goes to window.__consumer for run.mjs.
import * as core from '@mcsc/core';
import ndarray from 'ndarray';
import checkCore from './core-checks.cjs';

try {
  window.__consumer = { ok: true, summary: checkCore(core, ndarray) };
} catch (e) {
  window.__consumer = { ok: false, error: String(e?.stack ? e.stack : e) };
}

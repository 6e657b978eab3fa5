// Tiny assertion helpers shared by the consumer checks (CommonJS so both .mjs and .cjs scripts can load it).
'use strict';

function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

/** |got − want| ≤ tol, with both values in the message. */
function near(got, want, tol, what) {
  assert(typeof got === 'number' && Math.abs(got - want) <= tol, `${what}: got ${got}, expected ${want} ± ${tol}`);
}

/** Runs an async main; any throw prints the error and exits 1, so run.sh sees the failure. */
function main(fn) {
  Promise.resolve()
    .then(fn)
    .catch((e) => {
      console.error(e?.stack ? e.stack : e);
      process.exit(1);
    });
}

module.exports = { assert, near, main };

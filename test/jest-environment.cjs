// Jest runs each test file in its own VM realm, whose typed-array constructors differ from the host's.
// onnxruntime-node creates its tensors in the host realm and checks `data instanceof Float32Array`,
// so a test realm's arrays fail that check (and a failing check inside its callback leaves the run
// promise pending). Sharing the host's typed arrays and Math (the realm's Math lookups are also
// ~10× slower) makes the test realm behave like plain Node for the numeric code.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Math',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class SharedTypedArrayEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = SharedTypedArrayEnvironment;

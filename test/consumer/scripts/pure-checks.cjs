// In the core-only install (no onnxruntime at all): the pure '@mcsc/graph' entry loads and emits ONNX,
// and @mcsc/core computes metrics and losses — neither may need a runtime to be installed.
'use strict';
const { assert } = require('./lib.cjs');
const checkCore = require('./core-checks.cjs');

module.exports = function checkPure(g, core, ndarray, resolve) {
  for (const name of ['onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common']) {
    let found = null;
    try {
      found = resolve(name);
    } catch {
      // expected: not installed
    }
    assert(found === null, `${name} must not be installed in the core-only folder, found ${found}`);
  }
  for (const name of ['Graph', 'emitModel', 'TrainingSession', 'encodeSafetensors', 'decodeSafetensors', 'Random']) {
    assert(typeof g[name] === 'function', `@mcsc/graph exports ${name}`);
  }
  assert(!('nodeRuntime' in g) && !('webRuntime' in g), 'the main @mcsc/graph entry carries no runtime');
  const graph = new g.Graph();
  const x = graph.input('x', [2, 3]);
  const w = graph.param('w', [3, 3], () => new Float32Array(9).fill(0.5));
  const { bytes, nodeCount } = g.emitModel(graph, {
    outputs: { y: g.softmax(g.matmul(x, w), 1) },
    initializers: new Map([['w', new Float32Array(9).fill(0.5)]]),
  });
  assert(bytes.length > 50 && nodeCount >= 2, `emitModel: ${bytes.length} bytes, ${nodeCount} nodes`);
  const st = g.decodeSafetensors(g.encodeSafetensors(new Map([['w', { dtype: 'float32', shape: [3], data: Float32Array.of(1, 2, 3) }]])));
  assert(st.tensors.get('w').data[2] === 3, 'safetensors round trip');
  return `no onnxruntime installed; emitModel ${bytes.length} bytes; ${checkCore(core, ndarray)}`;
};

// @mcsc/graph/node end to end: build a small conv net, take two AdamW steps on onnxruntime-node,
// export the inference model and round-trip the weights through the Node file helpers.
'use strict';
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { assert } = require('./lib.cjs');
const { trainableNet, squares } = require('./tiny-model.cjs');

module.exports = async function checkGraph(g) {
  for (const name of [
    'Graph',
    'emitModel',
    'TrainingSession',
    'nodeRuntime',
    'saveWeights',
    'loadWeights',
    'writeFileAtomic',
    'encodeSafetensors',
  ]) {
    assert(typeof g[name] === 'function', `@mcsc/graph/node exports ${name}`);
  }
  const [batch, size] = [2, 8];
  const session = await g.TrainingSession.create({
    runtime: g.nodeRuntime(),
    build: (graph) => trainableNet(g, graph, batch, size),
    optimizer: { kind: 'adamw', groups: [{ name: 'net', params: () => true, weightDecay: 1e-4 }] },
    seed: 7,
  });
  const random = new g.Random(3);
  const losses = [];
  for (let i = 0; i < 2; i++) losses.push((await session.step(squares(batch, size, random), { lr: 1e-2 })).loss);
  assert(
    losses.every((l) => Number.isFinite(l) && l > 0),
    `two finite positive losses, got ${losses}`,
  );

  const bytes = session.exportInference();
  assert(bytes instanceof Uint8Array && bytes.length > 200, `exportInference() returns ONNX bytes, got ${bytes?.length}`);
  const dir = mkdtempSync(join(tmpdir(), 'mcsc-consumer-graph-'));
  try {
    g.writeFileAtomic(join(dir, 'model.onnx'), bytes);
    assert(readFileSync(join(dir, 'model.onnx')).equals(Buffer.from(bytes)), 'writeFileAtomic wrote the bytes');
    g.saveWeights(session, join(dir, 'w.safetensors'));
    const report = g.loadWeights(session, join(dir, 'w.safetensors'));
    assert(report.loaded.length === 4 && report.missing.length === 0, `loadWeights loads the 4 parameters, got ${JSON.stringify(report)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return `2 steps, losses ${losses.map((l) => l.toFixed(4)).join(', ')}; exported ${bytes.length} bytes; weights round-trip`;
};

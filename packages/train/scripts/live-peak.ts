/**
 * The static peak of live intermediate tensors of a preset's whole training step (forward, backward,
 * AdamW), from node order and tensor sizes alone (packages/core/test/graph/live-memory.ts: no runtime,
 * views free; onnxruntime's own allocations, fusions and workspaces come on top, see
 * docs/engine.md#activation-memory), and the largest tensors alive there by part and op.
 *
 *     npx tsx --tsconfig tsconfig.json packages/train/scripts/live-peak.ts [paper|cpu] [all-slices|labeled] [TOP]
 */
import { buildTrainingStep } from '../../graph/src/training-step';
import { executionOrder, liveMemory } from '../../core/test/graph/live-memory';
import { resolveConfig, type PresetName } from '../src/trainer/config';
import { mcscGraph } from '../src/trainer/mcsc-graph';
import { runSettings } from '../src/trainer/run-settings';

const [preset = 'paper', phase = 'all-slices', top = '12'] = process.argv.slice(2);
if (!['paper', 'cpu'].includes(preset) || !['all-slices', 'labeled'].includes(phase) || !(Number(top) >= 0)) {
  console.error('usage: live-peak.ts [paper|cpu] [all-slices|labeled] [TOP]');
  process.exit(2);
}
const DATA = { numClasses: 4, inChannels: 1, classNames: ['background', 'RV', 'Myo', 'LV'] } as const;
const settings = runSettings(resolveConfig(preset as PresetName), DATA);
// the labeled-only phase's graph contrasts the labeled slices alone (docs/method/losses.md#phases)
const options = phase === 'labeled' ? { ...settings.graph, contrastSlices: settings.graph.labeledBatchSize } : settings.graph;
const { outputs } = buildTrainingStep(mcscGraph(options).build, settings.optimizer);
const outs = Object.values(outputs);
const MiB = 2 ** 20;
for (const order of ['onnxruntime', 'emitted'] as const) {
  const nodes = executionOrder(outs, order);
  const m = liveMemory(nodes, outs);
  const at = nodes[m.step]!;
  console.log(
    `${preset} ${phase}, ${order} order: ${nodes.length} nodes, peak ${(m.peak / MiB).toFixed(0)} MiB at ${at.op} in ${at.scope ?? '(no scope)'}`,
  );
  const byPart = new Map<string, number>();
  for (const { tensor, bytes } of m.live) {
    const node = tensor.source.kind === 'op' ? tensor.source.node : undefined;
    const key = `${node?.scope ?? '(no scope)'} ${node?.op ?? tensor.source.kind}`;
    byPart.set(key, (byPart.get(key) ?? 0) + bytes);
  }
  for (const [key, bytes] of [...byPart].sort((a, b) => b[1] - a[1]).slice(0, Number(top)))
    console.log(`  ${(bytes / MiB).toFixed(1).padStart(7)} MiB  ${key}`);
}

import * as ort from 'onnxruntime-node';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Graph, add } from '@mcsc/graph';
import { emitModel } from '../src/onnx/emit';
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as (o?: { type: 'minor' | 'major' }) => void;
const TOTAL = 29_000_000;
const [chunks, mode] = [Number(process.argv[2] ?? 1), process.argv[3] ?? 'none'];
const per = Math.ceil(TOTAL / chunks);
const g = new Graph({ training: false });
const outs: Record<string, any> = {};
for (let k = 0; k < 3; k++) for (let c = 0; c < chunks; c++) outs[`y${k}_${c}`] = add(g.input(`x${k}_${c}`, [per]), g.scalar(1));
const model = emitModel(g, { outputs: outs, dynamicBatch: false });
const s = await ort.InferenceSession.create(model.bytes);
let feeds: Record<string, ort.Tensor> = {};
for (let k = 0; k < 3; k++) for (let c = 0; c < chunks; c++) feeds[`x${k}_${c}`] = new ort.Tensor('float32', new Float32Array(per), [per]);
const t: number[] = [];
for (let i = 0; i < 12; i++) {
  const t0 = performance.now();
  const r = await s.run(feeds);
  t.push(performance.now() - t0);
  feeds = Object.fromEntries(Object.entries(r).map(([k, v]) => [k.replace('y', 'x'), v as ort.Tensor]));
  if (mode === 'minor') gc({ type: 'minor' });
  if (mode === 'major') gc();
}
console.log(`chunks ${chunks} gc ${mode}:`, t.map((v) => v.toFixed(0)).join(' '));

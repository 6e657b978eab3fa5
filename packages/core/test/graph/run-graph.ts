/** Test helper: emit a graph, run it once on onnxruntime-node (optimisation level 'all', as the trainer), return float outputs. */
import { emitModel, nodeRuntime, type Graph, type RuntimeTensor, type Tensor, type TensorData } from '@mcsc/graph/node';

export interface Runner {
  run(feeds: Readonly<Record<string, TensorData>>): Promise<Record<string, Float32Array>>;
  nodeCount: number;
  release(): Promise<void>;
}

export async function compile(g: Graph, outputs: Record<string, Tensor>): Promise<Runner> {
  const model = emitModel(g, { outputs });
  const session = await nodeRuntime().createSession(model.bytes);
  return {
    nodeCount: model.nodeCount,
    async run(feeds) {
      const inputs: Record<string, RuntimeTensor> = {};
      for (const t of model.inputs) {
        const data = feeds[t.name];
        if (data === undefined) throw new Error(`runGraph: no feed for ${t.name}`);
        inputs[t.name] = { type: t.dtype, data, dims: t.shape };
      }
      const out = await session.run(inputs);
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
    },
    release: () => session.release(),
  };
}

export async function runGraph(
  g: Graph,
  outputs: Record<string, Tensor>,
  feeds: Readonly<Record<string, TensorData>>,
): Promise<Record<string, Float32Array>> {
  const runner = await compile(g, outputs);
  try {
    return await runner.run(feeds);
  } finally {
    await runner.release();
  }
}

/** |a − b| ≤ rel·|b| (+ a tiny absolute floor for values at 0). */
export function expectClose(actual: number, expected: number, rel = 1e-5, abs = 1e-7): void {
  const ok = Math.abs(actual - expected) <= rel * Math.abs(expected) + abs;
  if (!ok) throw new Error(`expected ${actual} to be within ${rel} (relative) of ${expected}: off by ${Math.abs(actual - expected)}`);
}

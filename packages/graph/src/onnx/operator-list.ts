/**
 * The operators a graph emits: for every node `emitModel` would write (the live nodes plus one
 * Identity per named output), its ONNX op type, domain, opset and the element types of its inputs and
 * outputs, grouped by that signature with a count. Pure: reads the Graph, runs nothing. Used to check
 * the graphs against execution providers' kernel tables (test/gpu-kernels/, docs/gpu.md).
 */
import type { Graph } from '../graph.js';
import type { DType, Tensor } from '../tensor.js';
import { liveNodes, OPSET, outputNames } from './emit.js';

/** ONNX names of the element types @mcsc/graph emits (TensorProto.DataType FLOAT, INT64, BOOL). */
export type OnnxElementType = 'float' | 'int64' | 'bool';

export const ONNX_ELEMENT_TYPE: Readonly<Record<DType, OnnxElementType>> = { float32: 'float', int64: 'int64', bool: 'bool' };

/** One operator signature and how many nodes of the graph have it. */
export interface OperatorUse {
  /** ONNX op type, e.g. "Conv". */
  readonly op: string;
  /** Operator domain; every node @mcsc/graph emits is in the default domain. */
  readonly domain: 'ai.onnx';
  /** The model's opset for that domain. */
  readonly opset: number;
  /** Element type per input position; null where an optional input is omitted. */
  readonly inputs: ReadonlyArray<OnnxElementType | null>;
  readonly outputs: readonly OnnxElementType[];
  /** Nodes with exactly this op and these types. */
  readonly count: number;
}

/** `Op(in, …) -> (out, …)`, with `-` for an omitted input: a stable key for a signature. */
export function formatOperator(u: Pick<OperatorUse, 'op' | 'inputs' | 'outputs'>): string {
  return `${u.op}(${u.inputs.map((t) => t ?? '-').join(', ')}) -> (${u.outputs.join(', ')})`;
}

/**
 * The operator signatures of the model `emitModel(g, { outputs })` writes, sorted by op type, then
 * signature. `outputs` as given to `emitModel` (a record) or as a list of tensors.
 */
export function listOperators(g: Graph, outputs: Readonly<Record<string, Tensor>> | readonly Tensor[]): OperatorUse[] {
  const targets = Array.isArray(outputs) ? (outputs as readonly Tensor[]) : Object.values(outputs as Readonly<Record<string, Tensor>>);
  const uses = new Map<string, { op: string; inputs: (OnnxElementType | null)[]; outputs: OnnxElementType[]; count: number }>();
  const add = (op: string, inputs: (OnnxElementType | null)[], outs: OnnxElementType[]) => {
    const key = formatOperator({ op, inputs, outputs: outs });
    const seen = uses.get(key);
    if (seen) seen.count++;
    else uses.set(key, { op, inputs, outputs: outs, count: 1 });
  };
  for (const node of liveNodes(g, targets)) {
    add(
      node.op,
      node.inputs.map((x) => (x ? ONNX_ELEMENT_TYPE[x.dtype] : null)),
      node.outputs.map((o) => ONNX_ELEMENT_TYPE[o.dtype]),
    );
  }
  // emitModel names an output through an Identity only where it cannot rename the tensor (outputNames).
  for (const [, t] of outputNames(targets.map((t, i) => [String(i), t] as const)).copies)
    add('Identity', [ONNX_ELEMENT_TYPE[t.dtype]], [ONNX_ELEMENT_TYPE[t.dtype]]);
  return [...uses.values()]
    .map((u) => ({ op: u.op, domain: 'ai.onnx' as const, opset: OPSET, inputs: u.inputs, outputs: u.outputs, count: u.count }))
    .sort((a, b) =>
      a.op < b.op ? -1 : a.op > b.op ? 1 : formatOperator(a) < formatOperator(b) ? -1 : formatOperator(a) > formatOperator(b) ? 1 : 0,
    );
}

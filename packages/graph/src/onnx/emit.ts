/**
 * Graph → ONNX ModelProto bytes (IR 10, default-domain opset 21), through onnx-proto's generated
 * encoders. Only the nodes that the requested outputs depend on are emitted.
 * Enum values follow onnx.proto: TensorProto.DataType FLOAT = 1, INT64 = 7, BOOL = 9;
 * AttributeProto.AttributeType FLOAT = 1, INT = 2, STRING = 3, FLOATS = 6, INTS = 7.
 */
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';
import type { AttrValue, Graph, Node } from '../graph.js';
import type { DType, Tensor, TensorData } from '../tensor.js';

export const OPSET = 21;
const IR_VERSION = 10;
const DATA_TYPE: Record<DType, number> = { float32: 1, int64: 7, bool: 9 };

export interface EmitOptions {
  /** Graph outputs by name. */
  outputs: Readonly<Record<string, Tensor>>;
  /** Values for params and states to bake in as initializers; those absent become graph inputs. */
  initializers?: ReadonlyMap<string, TensorData>;
  /** Leave dimension 0 of graph inputs and outputs symbolic ("N"). */
  dynamicBatch?: boolean;
  /** Inputs the caller must be able to feed even if no output needs them (kept in the signature). */
  keepInputs?: readonly Tensor[];
  name?: string;
}

export interface EmittedModel {
  bytes: Uint8Array;
  /** Graph input names, in order, with the tensors they feed. */
  inputs: Tensor[];
  nodeCount: number;
}

export function emitModel(g: Graph, opts: EmitOptions): EmittedModel {
  const outs = Object.entries(opts.outputs);
  const live = liveNodes(g, outs.map(([, t]) => t));
  const used = new Map<number, Tensor>();
  for (const node of live) for (const x of node.inputs) if (x) used.set(x.id, x);
  for (const [, t] of outs) used.set(t.id, t);
  for (const t of opts.keepInputs ?? []) used.set(t.id, t);

  const graphInputs: Tensor[] = [];
  const initializers: onnx.ITensorProto[] = [];
  for (const t of [...used.values()].sort((a, b) => a.id - b.id)) {
    const src = t.source;
    if (src.kind === 'constant') initializers.push(tensorProto(t.name, t.shape, t.dtype, src.data));
    else if ((src.kind === 'param' || src.kind === 'state') && opts.initializers?.has(t.name)) {
      initializers.push(tensorProto(t.name, t.shape, t.dtype, opts.initializers.get(t.name)!));
    } else if (src.kind !== 'op') graphInputs.push(t);
  }

  const nodes = live.map(nodeProto);
  outs.forEach(([name, t]) => nodes.push({ opType: 'Identity', input: [t.name], output: [name], name: `output_${name}` }));

  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: '@mcsc/graph',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: opts.name ?? 'mcsc',
      node: nodes,
      initializer: initializers,
      input: graphInputs.map((t) => valueInfo(t.name, t.shape, t.dtype, !!opts.dynamicBatch && t.source.kind === 'input')),
      output: outs.map(([name, t]) => valueInfo(name, t.shape, t.dtype, !!opts.dynamicBatch)),
    },
  };
  return { bytes: onnxProto.onnx.ModelProto.encode(model).finish(), inputs: graphInputs, nodeCount: live.length };
}

/** The nodes the given tensors depend on, in creation (topological) order. */
export function liveNodes(g: Graph, targets: readonly Tensor[]): Node[] {
  const needed = new Set(targets.map((t) => t.id));
  const live: Node[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const node = g.nodes[i]!;
    if (!node.outputs.some((o) => needed.has(o.id))) continue;
    live.push(node);
    for (const x of node.inputs) if (x) needed.add(x.id);
  }
  return live.reverse();
}

function nodeProto(node: Node): onnx.INodeProto {
  return {
    opType: node.op,
    name: `${node.op}_${node.id}`,
    input: node.inputs.map((x) => (x ? x.name : '')),
    output: node.outputs.map((o) => o.name),
    attribute: Object.entries(node.attrs).map(([name, v]) => attribute(name, v)),
  };
}

function attribute(name: string, v: AttrValue): onnx.IAttributeProto {
  if (typeof v === 'number') return { name, type: 2, i: v };
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if ('float' in v) return { name, type: 1, f: v.float };
  return { name, type: 6, floats: v.floats };
}

function tensorProto(name: string, shape: readonly number[], dtype: DType, data: TensorData): onnx.ITensorProto {
  return {
    name,
    dims: [...shape],
    dataType: DATA_TYPE[dtype],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function valueInfo(name: string, shape: readonly number[], dtype: DType, dynamicBatch: boolean): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[dtype],
        shape: { dim: shape.map((d, i) => (dynamicBatch && i === 0 ? { dimParam: 'N' } : { dimValue: d })) },
      },
    },
  };
}

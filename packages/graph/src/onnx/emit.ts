/**
 * Graph → ONNX ModelProto bytes (IR 10, default-domain opset 21). Only the nodes that the requested
 * outputs depend on are emitted. Field numbers and enums: onnx-schema.ts; encoding: proto-writer.ts.
 */
import type { AttrValue, Graph, Node } from '../graph.js';
import type { DType, Tensor, TensorData } from '../tensor.js';
import { AttributeType, DTYPE_DATA_TYPE, Field } from './onnx-schema.js';
import { ProtoWriter } from './proto-writer.js';

export const OPSET = 21;
const IR_VERSION = 10;

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
  const live = liveNodes(
    g,
    outs.map(([, t]) => t),
  );
  const used = new Map<number, Tensor>();
  for (const node of live) for (const x of node.inputs) if (x) used.set(x.id, x);
  for (const [, t] of outs) used.set(t.id, t);
  for (const t of opts.keepInputs ?? []) used.set(t.id, t);

  const graphInputs: Tensor[] = [];
  const initializers: { t: Tensor; data: TensorData }[] = [];
  for (const t of [...used.values()].sort((a, b) => a.id - b.id)) {
    const src = t.source;
    if (src.kind === 'constant') initializers.push({ t, data: src.data });
    else if ((src.kind === 'param' || src.kind === 'state') && opts.initializers?.has(t.name)) {
      initializers.push({ t, data: opts.initializers.get(t.name)! });
    } else if (src.kind !== 'op') graphInputs.push(t);
  }

  const { renamed, copies } = outputNames(outs);
  const nameOf = (t: Tensor) => renamed.get(t.id) ?? t.name;

  const M = Field.ModelProto;
  const G = Field.GraphProto;
  const bytes = new ProtoWriter()
    .int(M.ir_version, IR_VERSION)
    .string(M.producer_name, '@mcsc/graph')
    .message(M.graph, (g) => {
      for (const node of live) g.message(G.node, (w) => writeNode(w, node, nameOf));
      for (const [name, t] of copies) g.message(G.node, (w) => writeIdentity(w, nameOf(t), name));
      g.string(G.name, opts.name ?? 'mcsc');
      for (const { t, data } of initializers) g.message(G.initializer, (w) => writeTensor(w, t.name, t.shape, t.dtype, data));
      for (const t of graphInputs)
        g.message(G.input, (w) => writeValueInfo(w, t.name, t.shape, t.dtype, !!opts.dynamicBatch && t.source.kind === 'input'));
      for (const [name, t] of outs) g.message(G.output, (w) => writeValueInfo(w, name, t.shape, t.dtype, !!opts.dynamicBatch));
    })
    .message(M.opset_import, (w) => w.string(Field.OperatorSetIdProto.domain, '').int(Field.OperatorSetIdProto.version, OPSET))
    .finish();
  return { bytes, inputs: graphInputs, nodeCount: live.length };
}

/**
 * How graph outputs get their names. A node's result that is an output takes the output's name
 * (`renamed`, by tensor id): an Identity would copy it, and the training step's outputs are the updated
 * parameters and moments, 108 MB each at the paper preset. Only a second name for the same tensor, or
 * an output that is not a node's result (an input, a constant), goes through an Identity (`copies`).
 */
export function outputNames(outs: readonly (readonly [string, Tensor])[]): { renamed: Map<number, string>; copies: [string, Tensor][] } {
  const renamed = new Map<number, string>();
  const copies: [string, Tensor][] = [];
  for (const [name, t] of outs) {
    if (t.source.kind === 'op' && !renamed.has(t.id)) renamed.set(t.id, name);
    else copies.push([name, t]);
  }
  return { renamed, copies };
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

function writeNode(w: ProtoWriter, node: Node, nameOf: (t: Tensor) => string): void {
  const N = Field.NodeProto;
  for (const x of node.inputs) w.string(N.input, x ? nameOf(x) : '');
  for (const o of node.outputs) w.string(N.output, nameOf(o));
  w.string(N.name, nodeName(node)).string(N.op_type, node.op);
  for (const [name, v] of Object.entries(node.attrs)) w.message(N.attribute, (a) => writeAttribute(a, name, v));
}

/** A node's name in the emitted model: `<op>_<id>`, prefixed with its scope (`unet/Conv_12`) when it has one. */
function nodeName(node: Node): string {
  return node.scope === undefined ? `${node.op}_${node.id}` : `${node.scope}/${node.op}_${node.id}`;
}

function writeIdentity(w: ProtoWriter, input: string, output: string): void {
  const N = Field.NodeProto;
  w.string(N.input, input).string(N.output, output).string(N.name, `output_${output}`).string(N.op_type, 'Identity');
}

function writeAttribute(w: ProtoWriter, name: string, v: AttrValue): void {
  const A = Field.AttributeProto;
  w.string(A.name, name);
  if (typeof v === 'number') w.int(A.i, v).int(A.type, AttributeType.INT);
  else if (typeof v === 'string') w.string(A.s, v).int(A.type, AttributeType.STRING);
  else if (Array.isArray(v)) w.ints(A.ints, v).int(A.type, AttributeType.INTS);
  else if ('float' in v) w.float(A.f, v.float).int(A.type, AttributeType.FLOAT);
  else w.floats(A.floats, v.floats).int(A.type, AttributeType.FLOATS);
}

function writeTensor(w: ProtoWriter, name: string, shape: readonly number[], dtype: DType, data: TensorData): void {
  const T = Field.TensorProto;
  w.ints(T.dims, shape).int(T.data_type, DTYPE_DATA_TYPE[dtype]).string(T.name, name);
  w.bytes(T.raw_data, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function writeValueInfo(w: ProtoWriter, name: string, shape: readonly number[], dtype: DType, dynamicBatch: boolean): void {
  const D = Field.TensorShapeProtoDimension;
  w.string(Field.ValueInfoProto.name, name).message(Field.ValueInfoProto.type, (type) =>
    type.message(Field.TypeProto.tensor_type, (tensor) =>
      tensor.int(Field.TypeProtoTensor.elem_type, DTYPE_DATA_TYPE[dtype]).message(Field.TypeProtoTensor.shape, (s) => {
        shape.forEach((d, i) =>
          s.message(Field.TensorShapeProto.dim, (dim) =>
            dynamicBatch && i === 0 ? dim.string(D.dim_param, 'N') : dim.int(D.dim_value, d),
          ),
        );
      }),
    ),
  );
}

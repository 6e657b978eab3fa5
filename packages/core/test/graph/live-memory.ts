/**
 * Test helper: the peak bytes of intermediate tensors that an emitted graph keeps alive, computed
 * statically from a node order and the tensors' sizes (no runtime). A tensor is allocated when its
 * node runs and freed after its last consumer; reshaping ops (Reshape, Identity, Squeeze, Unsqueeze,
 * Flatten) are views of their input, as in onnxruntime, so they cost nothing and extend their
 * source's life; ScatterElements writes into its input's buffer when nothing reads that input later
 * (its kernel's MayInplace(0, 0)); other in-place reuse that onnxruntime may find is not modelled, so
 * the figure is an upper bound for a given order. Graph inputs, parameters and constants are not
 * counted (they are fed or folded).
 *
 * Two orders: the emitted one (creation order, `liveNodes`) and onnxruntime's default execution order
 * for that node list, a reverse depth-first walk from the leaf nodes that visits a node's producers
 * from the highest node index down (Graph::ReverseDFSFrom with NodeCompare, as GraphViewer sorts
 * before graph optimisations renumber fused nodes).
 */
import { liveNodes, type Node, type Tensor } from '@mcsc/graph';

const VIEWS = new Set(['Reshape', 'Identity', 'Squeeze', 'Unsqueeze', 'Flatten']);
/** Ops whose onnxruntime CPU kernel may write its output into input 0's buffer when nothing reads that input later (`MayInplace(0, 0)`). */
const IN_PLACE = new Set(['ScatterElements']);
const BYTES: Record<string, number> = { float32: 4, int64: 8, bool: 1 };

export type NodeOrder = 'emitted' | 'onnxruntime';

/** The live nodes of `outputs` in the given execution order. */
export function executionOrder(outputs: readonly Tensor[], order: NodeOrder): Node[] {
  const nodes = liveNodes(outputs[0]!.graph, outputs);
  if (order === 'emitted') return nodes;
  const index = new Map(nodes.map((n, i) => [n, i]));
  const producer = new Map<number, Node>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o.id, n);
  const consumed = new Set<Node>();
  for (const n of nodes) for (const x of n.inputs) if (x && producer.has(x.id)) consumed.add(producer.get(x.id)!);
  const stack: [Node, boolean][] = nodes.filter((n) => !consumed.has(n)).map((n) => [n, false]);
  const visited = new Set<Node>();
  const out: Node[] = [];
  while (stack.length > 0) {
    const [n, leave] = stack.pop()!;
    if (leave) {
      out.push(n);
      continue;
    }
    if (visited.has(n)) continue;
    visited.add(n);
    stack.push([n, true]);
    const inputs = [...new Set(n.inputs.flatMap((x) => (x && producer.has(x.id) ? [producer.get(x.id)!] : [])))];
    inputs.sort((a, b) => index.get(a)! - index.get(b)!);
    for (const p of inputs) if (!visited.has(p)) stack.push([p, false]);
  }
  return out;
}

/** Peak bytes of live intermediates when `nodes` run in this order; `outputs` stay alive to the end. */
export function peakLiveBytes(nodes: readonly Node[], outputs: readonly Tensor[]): number {
  return liveMemory(nodes, outputs).peak;
}

/** The peak, the step it is reached at and the tensors that own the buffers live there (largest first). */
export function liveMemory(
  nodes: readonly Node[],
  outputs: readonly Tensor[],
): { peak: number; step: number; live: { tensor: Tensor; bytes: number }[] } {
  const end = nodes.length;
  const lastConsumer = new Map<number, number>(); // tensor id → step of its last consumer
  nodes.forEach((n, step) => n.inputs.forEach((x) => x && lastConsumer.set(x.id, step)));
  for (const t of outputs) lastConsumer.set(t.id, end);
  const buffer = new Map<number, number>(); // tensor id → buffer id (-1: a view of a graph input or constant)
  const views = new Map<number, number[]>(); // buffer id → the tensors on it
  const size = new Map<number, number>(); // buffer id → bytes
  const lastUse = (b: number) => Math.max(...views.get(b)!.map((t) => lastConsumer.get(t) ?? -1));
  const put = (t: Tensor, b: number) => {
    buffer.set(t.id, b);
    if (b >= 0) views.get(b)!.push(t.id);
  };
  const owner = new Map<number, Tensor>();
  let live = 0;
  let peak = 0;
  let atPeak = { step: -1, live: [] as { tensor: Tensor; bytes: number }[] };
  nodes.forEach((n, step) => {
    const source = n.inputs[0] ? buffer.get(n.inputs[0].id) : undefined;
    for (const o of n.outputs) {
      if (VIEWS.has(n.op)) put(o, source ?? -1);
      else if (IN_PLACE.has(n.op) && source !== undefined && source >= 0 && lastUse(source) === step) put(o, source);
      else {
        views.set(o.id, []);
        size.set(o.id, o.size * BYTES[o.dtype]!);
        put(o, o.id);
        owner.set(o.id, o);
        live += size.get(o.id)!;
      }
    }
    if (live > peak) {
      peak = live;
      const held = [...size].filter(([, bytes]) => bytes > 0).map(([b, bytes]) => ({ tensor: owner.get(b)!, bytes }));
      atPeak = { step, live: held.sort((a, b) => b.bytes - a.bytes) };
    }
    // free the buffers whose last use is this step (a tensor nobody reads dies at once)
    const touched = new Set([...n.inputs, ...n.outputs].flatMap((x) => (x && (buffer.get(x.id) ?? -1) >= 0 ? [buffer.get(x.id)!] : [])));
    for (const b of touched)
      if (lastUse(b) <= step) {
        live -= size.get(b)!;
        size.set(b, 0);
      }
  });
  return { peak, ...atPeak };
}

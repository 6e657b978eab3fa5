/**
 * Which operators of the checked graphs run on the GPU execution providers, by the pinned kernel
 * tables, and the explicit allowlist of those that do not. Shared by kernels.test.ts and
 * write-gpu-doc.ts (the generated table in docs/gpu.md).
 */
import { readFileSync } from 'node:fs';
import { formatOperator, listOperators, type OperatorUse } from '../../packages/graph/src/onnx/operator-list';
import { liveNodes } from '../../packages/graph/src/onnx/emit';
import type { NamedGraph } from './graphs';
import { checkCuda, checkWebGpu, type CudaTable, type Verdict, type WebGpuTable } from './kernel-tables';
import { CUDA_JSON, WEBGPU_JSON } from './pin-kernel-tables';

export type Provider = 'cuda' | 'webgpu';

export const loadCudaTable = (): CudaTable => JSON.parse(readFileSync(CUDA_JSON, 'utf8')) as CudaTable;
export const loadWebGpuTable = (): WebGpuTable => JSON.parse(readFileSync(WEBGPU_JSON, 'utf8')) as WebGpuTable;

/**
 * What the WebGPU table does not show but onnxruntime's sources do: a listed op whose kernel cannot
 * serve a node of this shape. Each turns an otherwise supported signature into an unsupported one.
 */
export const WEBGPU_SOURCE_FACTS: ReadonlyArray<{ op: string; applies: (u: OperatorUse) => boolean; reason: string }> = [
  {
    op: 'MaxPool',
    applies: (u) => u.outputs.length > 1,
    reason:
      'the WebGPU (JSEP) MaxPool kernel is registered with the Indices type (onnxruntime core/providers/js/operators/pool.cc) but computes Y only: ' +
      'onnxruntime-web 1.30.0 lib/wasm/jsep/webgpu/ops/pool.ts maxPool runs one program with one output, so Indices is never written',
  },
];

/** An operator signature that may lack a GPU kernel, and why that is acceptable (or tracked). */
export interface Allowance {
  readonly provider: Provider;
  readonly op: string;
  /** Narrows the allowance to some signatures of the op; default: all. */
  readonly applies?: (u: OperatorUse) => boolean;
  /** cpu-fallback: runs on the CPU provider on purpose; known-issue: wrong on that provider, tracked in docs/gpu.md. */
  readonly kind: 'cpu-fallback' | 'known-issue';
  readonly reason: string;
}

export const ALLOWED: readonly Allowance[] = [
  {
    provider: 'webgpu',
    op: 'Identity',
    kind: 'cpu-fallback',
    reason:
      "no WebGPU kernel. Identity nodes are stop-gradient markers and the names emitModel gives graph outputs; onnxruntime's basic rewrite " +
      '(EliminateIdentity, on at every optimization level above disabled) removes those that do not produce a graph output before partitioning, ' +
      'and a graph output is read back to JavaScript after every run anyway, so the GPU→CPU copy moves before the Identity: no extra transfer',
  },
  {
    provider: 'webgpu',
    op: 'OneHot',
    kind: 'cpu-fallback',
    reason:
      'no WebGPU kernel. Its input is the int64 label map, fed from JavaScript each step (already on the CPU); the one-hot targets ' +
      '(B·H·W·K floats) are computed on the wasm CPU provider and uploaded once per step',
  },
  {
    provider: 'webgpu',
    op: 'ScatterElements',
    kind: 'cpu-fallback',
    reason:
      "no WebGPU kernel. MaxPool's backward (scatter-add of the gradient to the argmax positions) runs on the wasm CPU provider: " +
      'the gradient is copied down and dX up per pooling layer and step',
  },
  {
    provider: 'webgpu',
    op: 'MaxPool',
    applies: (u) => u.outputs.length > 1,
    kind: 'known-issue',
    reason:
      'training graphs ask MaxPool for Indices (for the backward); on WebGPU the node is assigned to a kernel that never writes them ' +
      '(WEBGPU_SOURCE_FACTS above). Training on WebGPU is not trustworthy until ops/pool.ts takes the argmax another way (docs/gpu.md)',
  },
];

export interface Placement {
  readonly verdict: Verdict;
  /** Set when the verdict is not ok and an allowance covers it. */
  readonly allowance?: Allowance;
}

export function place(provider: Provider, u: OperatorUse, tables: { cuda: CudaTable; webgpu: WebGpuTable }): Placement {
  let verdict: Verdict;
  if (provider === 'cuda') verdict = checkCuda(tables.cuda, u);
  else {
    verdict = checkWebGpu(tables.webgpu, u);
    const fact = WEBGPU_SOURCE_FACTS.find((f) => f.op === u.op && f.applies(u));
    if (verdict.ok && fact) verdict = { ok: false, reason: fact.reason };
  }
  const allowance = verdict.ok ? undefined : ALLOWED.find((a) => a.provider === provider && a.op === u.op && (a.applies?.(u) ?? true));
  return allowance ? { verdict, allowance } : { verdict };
}

export interface GraphOperators {
  readonly name: string;
  readonly description: string;
  readonly nodes: number;
  readonly uses: readonly OperatorUse[];
}

export function graphOperators(g: NamedGraph): GraphOperators {
  const outputs = Object.values(g.outputs);
  return {
    name: g.name,
    description: g.description,
    nodes: liveNodes(g.graph, outputs).length + outputs.length,
    uses: listOperators(g.graph, g.outputs),
  };
}

/** `Concat(float ×84) -> (float)`: runs of one type shortened, for logs and docs. */
export function shortSignature(u: Pick<OperatorUse, 'op' | 'inputs' | 'outputs'>): string {
  const runs = (types: ReadonlyArray<string | null>) => {
    const out: string[] = [];
    for (let i = 0; i < types.length; ) {
      let j = i;
      while (j < types.length && types[j] === types[i]) j++;
      const t = types[i] ?? '-';
      out.push(j - i > 2 ? `${t} ×${j - i}` : Array.from({ length: j - i }, () => t).join(', '));
      i = j;
    }
    return out.join(', ');
  };
  return `${u.op}(${runs(u.inputs)}) -> (${runs(u.outputs)})`;
}

/** Ops whose input or output list is variadic in ONNX: their signatures are merged across list lengths in the docs. */
const VARIADIC: Readonly<Record<string, 'inputs' | 'outputs'>> = { Concat: 'inputs', Split: 'outputs' };

function docsKey(u: OperatorUse): string {
  const side = VARIADIC[u.op];
  if (!side) return shortSignature(u);
  const list = u[side];
  const merged = list.every((t) => t === list[0]) ? [list[0]!, '…'] : list;
  return shortSignature({ ...u, [side]: merged } as OperatorUse);
}

/**
 * The generated table of docs/gpu.md: every operator signature of the checked graphs (variadic list
 * lengths merged), the graphs it appears in, and its CUDA and WebGPU placement by the pinned tables.
 * Node counts are left out on purpose (they change with every graph edit; the test prints them).
 */
export function operatorTableMarkdown(graphs: readonly GraphOperators[], tables: { cuda: CudaTable; webgpu: WebGpuTable }): string {
  const rows = new Map<string, { use: OperatorUse; where: Set<string> }>();
  for (const g of graphs) {
    for (const u of g.uses) {
      const key = docsKey(u);
      const row = rows.get(key) ?? { use: u, where: new Set<string>() };
      row.where.add(g.name);
      rows.set(key, row);
    }
  }
  const cell = (p: Placement) => (p.verdict.ok ? 'yes' : p.allowance ? `**no** — allowlisted (${p.allowance.kind})` : '**no**');
  // The WebGPU table has no element types; JSEP registers no int64 data kernels (docs/gpu.md), so say so where the data is int64.
  const webCell = (u: OperatorUse, p: Placement) =>
    p.verdict.ok && u.inputs[0] === 'int64' ? 'listed; int64 data: likely CPU (see above)' : p.verdict.ok ? 'listed' : cell(p);
  const head = `| operator (ONNX element types) | ${graphs.map((g) => g.name).join(' | ')} | CUDA | WebGPU |`;
  const rule = `| --- | ${graphs.map(() => ':---:').join(' | ')} | --- | --- |`;
  const body = [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(
      ([key, { use, where }]) =>
        `| \`${key}\` | ${graphs.map((g) => (where.has(g.name) ? '✓' : '')).join(' | ')} | ${cell(place('cuda', use, tables))} | ${webCell(use, place('webgpu', use, tables))} |`,
    );
  return [head, rule, ...body].join('\n');
}

export { formatOperator };

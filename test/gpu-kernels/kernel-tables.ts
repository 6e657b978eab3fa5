/**
 * onnxruntime's operator-kernel tables as data, and the checks of an operator signature against them.
 *
 * - CUDA: rows of docs/OperatorKernels.md (columns Op Name | Parameters | OpSet Version | Types
 *   Supported), parsed from the pinned excerpt cuda-kernels.excerpt.md into cuda-kernels.json.
 * - WebGPU: onnxruntime-web's docs/webgpu-operators.md (columns Operator | Opset | Comments), which
 *   names op types and opset ranges per domain but no element types.
 *
 * `pin-kernel-tables.ts` writes the JSON files; the test reads them and checks that they are what these
 * parsers make of their sources.
 */
import type { OperatorUse } from '../../packages/graph/src/onnx/operator-list';

/** An opset range; `until` null: open-ended ("13+"). */
export interface OpsetRange {
  readonly since: number;
  readonly until: number | null;
}

/** One registered kernel: its opset range and, per type constraint, the tensor element types. */
export interface KernelVersion extends OpsetRange {
  readonly types: Readonly<Record<string, readonly string[]>>;
}

/** A parameter list of the Parameters column: per position, a constraint name ("T") or a fixed type ("tensor(int64)"). */
export interface KernelSignature {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

export interface KernelOp {
  /** The table's alternative parameter lists ("… or …"), in its order. */
  readonly signatures: readonly KernelSignature[];
  /** Registered versions, newest first as in the table. */
  readonly versions: readonly KernelVersion[];
}

export interface CudaTable {
  readonly source: Readonly<Record<string, string>>;
  readonly ops: Readonly<Record<string, KernelOp>>;
}

export interface WebGpuOp {
  /** Opset ranges per domain ("ai.onnx", "com.microsoft", "com.ms.internal.nhwc"). */
  readonly domains: Readonly<Record<string, readonly OpsetRange[]>>;
  readonly comment: string;
}

export interface WebGpuTable {
  readonly source: Readonly<Record<string, string>>;
  readonly ops: Readonly<Record<string, WebGpuOp>>;
}

const cells = (line: string) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|');

function parseVersion(text: string): OpsetRange {
  let m = /^(\d+)\+$/.exec(text);
  if (m) return { since: Number(m[1]), until: null };
  m = /^\[(\d+), (\d+)\]$/.exec(text);
  if (m) return { since: Number(m[1]), until: Number(m[2]) };
  m = /^(\d+)$/.exec(text);
  if (m) return { since: Number(m[1]), until: Number(m[1]) };
  throw new Error(`kernel table: cannot read the opset version '${text}'`);
}

function parseSignatures(text: string): KernelSignature[] {
  return text.split('<br><br>or<br><br>').map((alt) => {
    const inputs: string[] = [];
    const outputs: string[] = [];
    for (const p of alt.split('<br>')) {
      const m = /^\*(in|out)\* [^:]+:\*\*(.+)\*\*$/.exec(p.trim());
      if (!m) throw new Error(`kernel table: cannot read the parameter '${p}'`);
      (m[1] === 'in' ? inputs : outputs).push(m[2]!);
    }
    return { inputs, outputs };
  });
}

/** `**T** = tensor(float), seq(tensor(float))<br/> **I** = …` → { T: ['float'], I: [...] }; sequence types are dropped. */
function parseTypes(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const part of text.split('<br/>')) {
    const m = /^\*\*([^*]+)\*\* = (.*)$/.exec(part.trim());
    if (!m) throw new Error(`kernel table: cannot read the types '${part}'`);
    out[m[1]!] = m[2]!.split(', ').flatMap((t) => {
      const tensor = /^tensor\((\w+)\)$/.exec(t);
      return tensor ? [tensor[1]!] : [];
    });
  }
  return out;
}

/** The ai.onnx rows of an OperatorKernels.md table (or excerpt) by op type. */
export function parseKernelTable(markdown: string): Record<string, KernelOp> {
  const ops: Record<string, { signatures: KernelSignature[]; versions: KernelVersion[] }> = {};
  let domain = '';
  let current: { signatures: KernelSignature[]; versions: KernelVersion[] } | undefined;
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) continue;
    const domainMatch = /\*\*Operator Domain:\*\* \*([\w.]+)\*/.exec(line);
    if (domainMatch) {
      domain = domainMatch[1]!;
      continue;
    }
    const c = cells(line);
    if (c.length !== 4 || c[0] === 'Op Name' || c[0]!.startsWith('---') || domain !== 'ai.onnx') continue;
    const [name, params, version, types] = c as [string, string, string, string];
    if (name !== '') {
      if (ops[name]) throw new Error(`kernel table: op ${name} appears twice`);
      current = { signatures: parseSignatures(params), versions: [] };
      ops[name] = current;
    }
    if (!current) throw new Error(`kernel table: a version row before any op: ${line}`);
    current.versions.push({ ...parseVersion(version), types: parseTypes(types) });
  }
  return ops;
}

function parseWebGpuRanges(text: string): OpsetRange[] {
  return text.split(',').map((r) => {
    let m = /^(\d+)\+$/.exec(r);
    if (m) return { since: Number(m[1]), until: null };
    m = /^(\d+)-(\d+)$/.exec(r);
    if (m) return { since: Number(m[1]), until: Number(m[2]) };
    m = /^(\d+)$/.exec(r);
    if (m) return { since: Number(m[1]), until: Number(m[1]) };
    throw new Error(`webgpu table: cannot read the opset range '${r}'`);
  });
}

/** onnxruntime-web's webgpu-operators.md by op type. */
export function parseWebGpuTable(markdown: string): Record<string, WebGpuOp> {
  const ops: Record<string, WebGpuOp> = {};
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) continue;
    const c = cells(line).map((s) => s.trim());
    if (c.length !== 3 || c[0] === 'Operator' || c[0]!.startsWith(':--')) continue;
    const [name, opsets, comment] = c as [string, string, string];
    const domains: Record<string, OpsetRange[]> = {};
    for (const part of opsets.split(';')) {
      const m = /^([\w.]+)\(([^)]*)\)$/.exec(part.trim());
      if (!m) throw new Error(`webgpu table: cannot read '${part}' of ${name}`);
      domains[m[1]!] = parseWebGpuRanges(m[2]!);
    }
    if (ops[name]) throw new Error(`webgpu table: op ${name} appears twice`);
    ops[name] = { domains, comment };
  }
  return ops;
}

const covers = (r: OpsetRange, opset: number) => r.since <= opset && (r.until === null || opset <= r.until);
const formatRange = (r: OpsetRange) => (r.until === null ? `${r.since}+` : r.since === r.until ? `${r.since}` : `[${r.since}, ${r.until}]`);

export interface Verdict {
  readonly ok: boolean;
  /** Why not (or, when ok, what was checked). */
  readonly reason: string;
}

/**
 * Checks one operator signature against the CUDA table: the op has a row, a registered version range
 * holds the model's opset, and some parameter list of the row accepts the element types, position by
 * position. The table does not say which of a row's alternative parameter lists ("… or …") belongs to
 * which version, so each is tried with the type constraints of the matching version; a constraint the
 * version does not list rules that list out. An argument past the listed parameters takes the last
 * parameter's type (variadic parameters such as Concat's inputs or Split's outputs are listed once), and
 * parameters bound to the same constraint must share one type, as ONNX requires. Attributes (e.g.
 * ScatterElements' reduction) are not in the table and not checked.
 */
export function checkCuda(table: CudaTable, use: Pick<OperatorUse, 'op' | 'opset' | 'inputs' | 'outputs'>): Verdict {
  const entry = table.ops[use.op];
  if (!entry) return { ok: false, reason: `no ${use.op} row in the pinned CUDA table (test/gpu-kernels/cuda-kernels.excerpt.md)` };
  const version = entry.versions.filter((v) => covers(v, use.opset)).sort((a, b) => b.since - a.since)[0];
  if (!version) {
    return {
      ok: false,
      reason: `no CUDA kernel registered for opset ${use.opset} (registered: ${entry.versions.map(formatRange).join(', ')})`,
    };
  }
  const failures: string[] = [];
  for (const sig of entry.signatures) {
    const why = matchSignature(sig, version, use);
    if (why === null) return { ok: true, reason: `CUDA ${formatRange(version)}` };
    failures.push(why);
  }
  return { ok: false, reason: `CUDA ${formatRange(version)} has no kernel for these types: ${failures.join('; or ')}` };
}

function matchSignature(sig: KernelSignature, version: KernelVersion, use: Pick<OperatorUse, 'inputs' | 'outputs'>): string | null {
  const bound = new Map<string, string>();
  const check = (params: readonly string[], dtypes: ReadonlyArray<string | null>, side: string): string | null => {
    if (dtypes.length > params.length && params.length === 0) return `${side}: the parameter list has none`;
    for (let i = 0; i < dtypes.length; i++) {
      const dtype = dtypes[i];
      if (dtype === null || dtype === undefined) continue;
      const param = params[Math.min(i, params.length - 1)]!;
      const fixed = /^tensor\((\w+)\)$/.exec(param);
      if (fixed) {
        if (fixed[1] !== dtype) return `${side} ${i} must be ${fixed[1]}, is ${dtype}`;
        continue;
      }
      const allowed = version.types[param];
      if (!allowed) return `${side} ${i} has constraint ${param}, which this version does not list`;
      if (!allowed.includes(dtype)) return `${side} ${i}: ${param} ∈ {${allowed.join(', ')}} excludes ${dtype}`;
      const prior = bound.get(param);
      if (prior !== undefined && prior !== dtype) return `${side} ${i}: ${param} is ${prior} elsewhere, ${dtype} here`;
      bound.set(param, dtype);
    }
    return null;
  };
  return check(sig.inputs, use.inputs, 'input') ?? check(sig.outputs, use.outputs, 'output');
}

/**
 * Checks one operator signature against the WebGPU table: the op is listed for the domain with a range
 * holding the model's opset. The WebGPU table has no element types, so types are not checked here (see
 * docs/gpu.md for what onnxruntime's JSEP kernels register).
 */
export function checkWebGpu(table: WebGpuTable, use: Pick<OperatorUse, 'op' | 'domain' | 'opset'>): Verdict {
  const entry = table.ops[use.op];
  const ranges = entry?.domains[use.domain];
  if (!entry || !ranges) return { ok: false, reason: `${use.op} is not in onnxruntime-web's WebGPU operator table for ${use.domain}` };
  const range = ranges.find((r) => covers(r, use.opset));
  if (!range)
    return { ok: false, reason: `WebGPU registers ${use.op} for opsets ${ranges.map(formatRange).join(', ')} only, not ${use.opset}` };
  return { ok: true, reason: `WebGPU ${formatRange(range)}${entry.comment ? ` (${entry.comment})` : ''}` };
}

/** JSON with every object or array that fits in 140 columns on one line: short, reviewable diffs of the pinned tables. */
export function formatPinnedJson(value: unknown): string {
  const inline = (v: unknown): string =>
    Array.isArray(v)
      ? `[${v.map(inline).join(', ')}]`
      : v !== null && typeof v === 'object'
        ? `{${Object.entries(v)
            .map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`)
            .join(', ')}}`
        : JSON.stringify(v);
  const format = (v: unknown, indent: string, prefix: string): string => {
    const flat = inline(v);
    if (v === null || typeof v !== 'object' || indent.length + prefix.length + flat.length <= 140) return flat;
    const inner = `${indent}  `;
    const items = Array.isArray(v)
      ? v.map((x) => inner + format(x, inner, ''))
      : Object.entries(v).map(([k, x]) => `${inner}${JSON.stringify(k)}: ${format(x, inner, `${JSON.stringify(k)}: `)}`);
    return Array.isArray(v) ? `[\n${items.join(',\n')}\n${indent}]` : `{\n${items.join(',\n')}\n${indent}}`;
  };
  return `${format(value, '', '')}\n`;
}

/**
 * Packed parameters: the training graph reads each optimizer group's parameters as one flat vector.
 * The model still sees its named tensors (Split → Reshape), autodiff returns the group's gradient as
 * one Concat (the gradient of Split), and the optimizer updates the whole group with one short chain
 * of vector ops — instead of a dozen nodes per parameter. The session keeps per-name arrays: views
 * of the last step's updated vector, which the next step feeds back as it is; only parameters that were
 * set since (initial values, loaded weights) are copied into a fresh vector.
 *
 * A group larger than {@link MAX_PACKED_VALUES} is packed in several vectors (`params.<group>#<k>`),
 * cut at parameter boundaries. Every step's updated vectors (and AdamW's two moments of each) cross
 * into fresh JavaScript memory (onnxruntime-node copies its outputs); glibc maps a block over 32 MiB
 * freshly each time, and the page faults of 3 × 108 MiB cost the paper Swin-UNet step 10–26 %
 * (docs/engine.md#outputs-crossing-into-javascript). Blocks under that size are reused. Training states
 * hold a group's moments whole (`optimizer.exp_avg.params.<group>`) however it was split:
 * {@link joinPackedStates}, {@link splitPackedStates}.
 */
import type { Graph } from './graph.js';
import type { ParamGroup } from './optim.js';
import { reshape, split } from './ops/shape.js';
import type { Shape, Tensor } from './tensor.js';
import type { NamedTensor } from './safetensors.js';

export interface PackedMember {
  name: string;
  shape: Shape;
  offset: number;
  size: number;
}

export interface PackedGroup {
  group: ParamGroup;
  /** The flat input's name: `params.<group>`, or `params.<group>#<k>` for the k-th vector of a group packed in several. */
  input: string;
  /** The group's whole vector, `params.<group>` (what training states hold), and where this one starts in it. */
  groupInput: string;
  groupOffset: number;
  members: PackedMember[];
  total: number;
}

/**
 * Most values in one packed vector: 4 Mi floats, 16 MiB, half of glibc's largest mmap threshold (32
 * MiB). A parameter larger than that gets a vector of its own.
 */
export const MAX_PACKED_VALUES = 4 * 2 ** 20;

/** The `Graph.scope` of the nodes a training session adds: parameter packing and the optimizer update. */
export const OPTIMIZER_SCOPE = 'optimizer';

/**
 * Lay out the given parameters (those that receive a gradient) group by group, in creation order, in
 * vectors of at most `maxValues` values each.
 */
export function planPacking(params: readonly Tensor[], groups: readonly ParamGroup[], maxValues = MAX_PACKED_VALUES): PackedGroup[] {
  type Vector = { members: PackedMember[]; total: number; groupOffset: number };
  const byGroup = new Map<string, { group: ParamGroup; vectors: Vector[] }>();
  params.forEach((p, i) => {
    const group = groups[i]!;
    let entry = byGroup.get(group.name);
    if (!entry) {
      entry = { group, vectors: [] };
      byGroup.set(group.name, entry);
    }
    let last = entry.vectors.at(-1);
    if (!last || (last.total > 0 && last.total + p.size > maxValues)) {
      last = { members: [], total: 0, groupOffset: last ? last.groupOffset + last.total : 0 };
      entry.vectors.push(last);
    }
    last.members.push({ name: p.name, shape: p.shape, offset: last.total, size: p.size });
    last.total += p.size;
  });
  return [...byGroup.values()].flatMap(({ group, vectors }) =>
    vectors.map((v, k) => ({
      group,
      input: vectors.length === 1 ? `params.${group.name}` : `params.${group.name}#${k}`,
      groupInput: `params.${group.name}`,
      ...v,
    })),
  );
}

/** The groups packed in several vectors: `params.<group>` → its vectors, in order. */
function splitGroups(plan: readonly PackedGroup[]): Map<string, PackedGroup[]> {
  const out = new Map<string, PackedGroup[]>();
  for (const p of plan) if (p.input !== p.groupInput) out.set(p.groupInput, [...(out.get(p.groupInput) ?? []), p]);
  return out;
}

/** The prefixes of the states kept per vector (`optimizer.exp_avg` of `optimizer.exp_avg.params.<group>#0`). */
function statePrefixes(names: Iterable<string>, first: PackedGroup): string[] {
  const suffix = `.${first.input}`;
  return [...names].filter((n) => n.endsWith(suffix)).map((n) => n.slice(0, -suffix.length));
}

/** A session's values with each split group's per-vector states joined under the group's name (for exportState). */
export function joinPackedStates(plan: readonly PackedGroup[], values: ReadonlyMap<string, NamedTensor>): Map<string, NamedTensor> {
  const out = new Map(values);
  for (const [groupInput, vectors] of splitGroups(plan)) {
    const total = vectors.reduce((n, v) => n + v.total, 0);
    for (const prefix of statePrefixes(values.keys(), vectors[0]!)) {
      const whole = new Float32Array(total);
      for (const v of vectors) {
        whole.set(values.get(`${prefix}.${v.input}`)!.data as Float32Array, v.groupOffset);
        out.delete(`${prefix}.${v.input}`);
      }
      out.set(`${prefix}.${groupInput}`, { dtype: 'float32', shape: [total], data: whole });
    }
  }
  return out;
}

/**
 * Loaded state tensors with each split group's whole states (`<prefix>.params.<group>`, as
 * {@link joinPackedStates} writes them) cut into the session's per-vector names; a tensor of another
 * size is left as it is, for the strict load to report.
 */
export function splitPackedStates(
  plan: readonly PackedGroup[],
  own: ReadonlyMap<string, NamedTensor>,
  loaded: ReadonlyMap<string, NamedTensor>,
): Map<string, NamedTensor> {
  const out = new Map(loaded);
  for (const [groupInput, vectors] of splitGroups(plan)) {
    const total = vectors.reduce((n, v) => n + v.total, 0);
    for (const prefix of statePrefixes(own.keys(), vectors[0]!)) {
      const whole = loaded.get(`${prefix}.${groupInput}`);
      if (whole?.dtype !== 'float32' || whole.data.length !== total) continue;
      out.delete(`${prefix}.${groupInput}`);
      for (const v of vectors)
        out.set(`${prefix}.${v.input}`, {
          dtype: 'float32',
          shape: [v.total],
          data: (whole.data as Float32Array).slice(v.groupOffset, v.groupOffset + v.total),
        });
    }
  }
  return out;
}

/** A `resolveParam` hook for Graph that serves packed parameters as views of their group's vector. */
export function packedParamResolver(plan: readonly PackedGroup[], graph: () => Graph): (name: string, shape: Shape) => Tensor | undefined {
  const where = new Map<string, { group: PackedGroup; index: number }>();
  plan.forEach((group) => group.members.forEach((m, index) => where.set(m.name, { group, index })));
  const pieces = new Map<string, Tensor[]>();
  return (name, shape) => {
    const at = where.get(name);
    if (!at) return undefined;
    let parts = pieces.get(at.group.input);
    if (!parts) {
      const g = graph();
      const flat = g.input(at.group.input, [at.group.total]);
      // The Split (and its gradient, the group's one Concat) belong to the optimizer's scope, whichever
      // model part asks for the group's first parameter.
      parts =
        at.group.members.length === 1
          ? [flat]
          : g.inScope(OPTIMIZER_SCOPE, () =>
              split(
                flat,
                at.group.members.map((m) => m.size),
                0,
              ),
            );
      pieces.set(at.group.input, parts);
    }
    return reshape(parts[at.index]!, shape);
  };
}

/** Concatenate a group's parameter arrays into its flat feed. */
export function pack(group: PackedGroup, values: (name: string) => Float32Array): Float32Array {
  // After a step every member is a view of that step's updated vector ({@link unpack}), in order:
  // that vector is then fed as it is (onnxruntime only reads its inputs) instead of copied.
  const first = values(group.members[0]!.name);
  const whole = first.buffer.byteLength === group.total * 4 && first.byteOffset === 0;
  if (whole && group.members.every((m) => isViewAt(values(m.name), first.buffer, m))) return new Float32Array(first.buffer, 0, group.total);
  const flat = new Float32Array(group.total);
  for (const m of group.members) flat.set(values(m.name), m.offset);
  return flat;
}

function isViewAt(data: Float32Array, buffer: ArrayBufferLike, m: PackedMember): boolean {
  return data.buffer === buffer && data.byteOffset === m.offset * 4 && data.length === m.size;
}

/** Views of the updated flat vector, one per parameter (no copy). */
export function unpack(group: PackedGroup, flat: Float32Array): Map<string, Float32Array> {
  return new Map(group.members.map((m) => [m.name, flat.subarray(m.offset, m.offset + m.size)]));
}

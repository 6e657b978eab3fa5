/**
 * Packed parameters: the training graph reads each optimizer group's parameters as one flat vector.
 * The model still sees its named tensors (Split → Reshape), autodiff returns the group's gradient as
 * one Concat (the gradient of Split), and the optimizer updates the whole group with one short chain
 * of vector ops — instead of a dozen nodes per parameter. The session keeps per-name arrays: views
 * of the last step's updated vector, which the next step feeds back as it is; only parameters that were
 * set since (initial values, loaded weights) are copied into a fresh vector.
 */
import type { Graph } from './graph.js';
import type { ParamGroup } from './optim.js';
import { reshape, split } from './ops/shape.js';
import type { Shape, Tensor } from './tensor.js';

export interface PackedMember {
  name: string;
  shape: Shape;
  offset: number;
  size: number;
}

export interface PackedGroup {
  group: ParamGroup;
  /** The flat input's name, `params.<group>`. */
  input: string;
  members: PackedMember[];
  total: number;
}

/** The `Graph.scope` of the nodes a training session adds: parameter packing and the optimizer update. */
export const OPTIMIZER_SCOPE = 'optimizer';

/** Lay out the given parameters (those that receive a gradient) group by group, in creation order. */
export function planPacking(params: readonly Tensor[], groups: readonly ParamGroup[]): PackedGroup[] {
  const plan = new Map<string, PackedGroup>();
  params.forEach((p, i) => {
    const group = groups[i]!;
    let entry = plan.get(group.name);
    if (!entry) {
      entry = { group, input: `params.${group.name}`, members: [], total: 0 };
      plan.set(group.name, entry);
    }
    entry.members.push({ name: p.name, shape: p.shape, offset: entry.total, size: p.size });
    entry.total += p.size;
  });
  return [...plan.values()];
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

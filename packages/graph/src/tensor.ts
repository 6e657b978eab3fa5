import type { Graph, Node } from './graph.js';
import { McscError } from './errors.js';

/** Element types a graph tensor can hold. ONNX names: FLOAT, INT64, BOOL. */
export type DType = 'float32' | 'int64' | 'bool';

export type Shape = readonly number[];

/** The typed array that carries a tensor's values in JavaScript. */
export type TypedArrayOf<D extends DType> = D extends 'float32' ? Float32Array : D extends 'int64' ? BigInt64Array : Uint8Array;

export type TensorData = Float32Array | BigInt64Array | Uint8Array;

/**
 * Where a tensor's value comes from:
 * - input: fed at every run (images, labels, learning rates);
 * - param: a trainable parameter (fed by the session, updated by the optimizer);
 * - state: a non-trainable buffer the graph updates (BatchNorm running statistics);
 * - constant: a value baked into the model;
 * - op: the output `index` of a node.
 */
export type TensorSource =
  | { readonly kind: 'input' }
  | { readonly kind: 'param' }
  | { readonly kind: 'state' }
  | { readonly kind: 'constant'; readonly data: TensorData }
  | { readonly kind: 'op'; readonly node: Node; readonly index: number };

/** A symbolic tensor: static shape and dtype, known when the graph is built. */
export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly name: string,
    readonly shape: Shape,
    readonly dtype: DType,
    readonly source: TensorSource,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return shapeSize(this.shape);
  }

  toString(): string {
    return `${this.name}: ${this.dtype}[${this.shape.join(', ')}]`;
  }
}

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Resolve a possibly negative axis against a rank, throwing a message that names the op. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new McscError(op, `axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return a;
}

export function allocate(dtype: DType, size: number): TensorData {
  if (dtype === 'float32') return new Float32Array(size);
  if (dtype === 'int64') return new BigInt64Array(size);
  return new Uint8Array(size);
}

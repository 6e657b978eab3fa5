/** How a `TrainingSession` turns what the caller feeds into checked runtime tensors, and draws dropout masks. */
import type { RuntimeTensor } from './runtime/runtime.js';
import { formatShape, type Tensor, type TensorData } from './tensor.js';
import { McscError } from './errors.js';

/** What a caller may feed for one graph input: a typed array of its shape, or a tensor with dims. */
export type FeedValue = TensorData | RuntimeTensor;
export type Feeds = Readonly<Record<string, FeedValue>>;

const TYPED_ARRAY: Record<string, new (n: number) => TensorData> = { float32: Float32Array, int64: BigInt64Array, bool: Uint8Array };

/**
 * Checks `given` against graph input `t` (dtype, shape; with `dynamicBatch`, any positive batch) and
 * returns it as a runtime tensor. The error names the feed, what it is and what was expected.
 */
export function toRuntimeTensor(t: Tensor, given: FeedValue, dynamicBatch: boolean): RuntimeTensor {
  const data: TensorData = ArrayBuffer.isView(given) ? given : given.data;
  const perItem = t.size / (t.shape[0] ?? 1);
  const dims: readonly number[] = ArrayBuffer.isView(given)
    ? dynamicBatch
      ? [data.length / perItem, ...t.shape.slice(1)]
      : t.shape
    : given.dims;
  const shapeOk =
    dims.length === t.rank && dims.every((d, i) => d === t.shape[i] || (dynamicBatch && i === 0 && Number.isInteger(d) && d > 0));
  const dtypeOk = data instanceof TYPED_ARRAY[t.dtype]! && (ArrayBuffer.isView(given) || given.type === t.dtype);
  const sizeOk = data.length === dims.reduce((a, b) => a * b, 1);
  if (!shapeOk || !dtypeOk || !sizeOk) {
    const desc = ArrayBuffer.isView(given)
      ? `${data.constructor.name} of ${data.length} values`
      : `${given.type}${formatShape(given.dims)}`;
    const want = dynamicBatch ? `[N, ${t.shape.slice(1).join(', ')}]` : formatShape(t.shape);
    throw new McscError('TrainingSession', `feed '${t.name}' is ${desc}, expected ${t.dtype}${want}`);
  }
  return { type: t.dtype, data, dims };
}

/** One value per parameter group: a number for all, or a record by group name (with an optional fallback). */
export function perGroup(v: number | Readonly<Record<string, number>>, group: string, what: string, fallback?: number): number {
  if (typeof v === 'number') return v;
  const x = v[group] ?? fallback;
  if (x === undefined)
    throw new McscError(
      'TrainingSession.step',
      `no ${what} for parameter group '${group}'; expected a number or a record with key '${group}'`,
    );
  return x;
}

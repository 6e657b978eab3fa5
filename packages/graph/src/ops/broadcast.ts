import { formatShape, type Shape, type Tensor } from '../tensor.js';
import { reduceSum } from './reduce.js';
import { reshape } from './shape.js';

/** NumPy/ONNX multidirectional broadcasting of two shapes; the error names the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RangeError(`${op}: shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Sum a broadcast gradient back to the shape of the operand that was broadcast. */
export function unbroadcast(grad: Tensor, shape: Shape): Tensor {
  const lead = grad.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < grad.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && grad.shape[i] !== 1)) axes.push(i);
  }
  if (axes.length === 0) return grad;
  const summed = reduceSum(grad, axes, true);
  return lead === 0 ? summed : reshape(summed, shape);
}

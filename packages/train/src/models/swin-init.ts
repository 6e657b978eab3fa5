/**
 * timm's trunc_normal_(std, a=−2, b=2): a normal redrawn outside the absolute bounds [−2, 2]
 * (at std 0.02 that never happens in practice, but the rule is kept).
 */
import type { Initializer } from '@mcsc/graph';

export const truncNormal =
  (std: number, lo = -2, hi = 2): Initializer =>
  ({ shape, random }) =>
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
      let v: number;
      do v = random.normal() * std;
      while (v < lo || v > hi);
      return v;
    });

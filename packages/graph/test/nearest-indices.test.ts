/**
 * The project's one nearest-neighbour index rule: scipy's order-0 zoom (two edge treatments) and
 * PyTorch's nearest (the Resize op's gradient); @mcsc/core's zoom and @mcsc/infer's resize use it.
 */
import { nearestIndices } from '../src/index';

describe('nearestIndices', () => {
  // scipy: index = floor(k·(in−1)/(out−1) + 0.5), scale 1 when out == 1.
  test.each<[number, number, number[]]>([
    [5, 3, [0, 2, 4]],
    [5, 8, [0, 1, 1, 2, 2, 3, 3, 4]],
    [3, 5, [0, 1, 1, 2, 2]],
    [4, 1, [0]],
    [1, 5, [0, 0, 0, 0, 0]],
    [5, 0, []],
  ])("'scipy' (default) %i → %i", (n, out, expected) => {
    expect(nearestIndices(n, out)).toBeInstanceOf(Int32Array);
    expect(Array.from(nearestIndices(n, out))).toEqual(expected);
    expect(Array.from(nearestIndices(n, out, 'clamp'))).toEqual(expected);
  });

  test("'scipy' gives −1 (the constant) where k·scale overshoots in − 1; 'clamp' reads the last sample", () => {
    // 223 · (231/223) = 231.00000000000003 > 231 in float64.
    expect(Array.from(nearestIndices(232, 224).slice(-3))).toEqual([229, 230, -1]);
    expect(Array.from(nearestIndices(232, 224, 'clamp').slice(-3))).toEqual([229, 230, 231]);
    expect(nearestIndices(224, 216).at(-1)).toBe(-1);
    expect(nearestIndices(224, 28).every((i) => i >= 0)).toBe(true);
  });

  test("'torch' is PyTorch's nearest (ONNX Resize asymmetric, floor): min(⌊o·in/out⌋, in − 1)", () => {
    expect(Array.from(nearestIndices(5, 3, 'torch'))).toEqual([0, 1, 3]);
    expect(Array.from(nearestIndices(3, 6, 'torch'))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(Array.from(nearestIndices(5, 2, 'torch'))).toEqual([0, 2]);
    for (const [n, out] of [
      [232, 224],
      [17, 40],
      [40, 17],
      [1, 4],
      [4, 1],
    ] as const) {
      const torch = Array.from({ length: out }, (_, o) => Math.min(Math.floor((o * n) / out), n - 1));
      expect(Array.from(nearestIndices(n, out, 'torch'))).toEqual(torch);
    }
  });

  test('rejects bad lengths and unknown rules', () => {
    expect(() => nearestIndices(0, 3)).toThrow(/nearestIndices: inLength must be a positive integer, got 0/);
    expect(() => nearestIndices(3, -1)).toThrow(/outLength must be a non-negative integer/);
    expect(() => nearestIndices(3, 1.5)).toThrow(/outLength/);
    expect(() => nearestIndices(3, 2, 'wrap' as never)).toThrow(/rule must be 'scipy', 'clamp' or 'torch', got wrap/);
  });
});

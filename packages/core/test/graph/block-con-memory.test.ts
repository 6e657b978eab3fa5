/**
 * Memory and work of the graph BlockConLoss, checked statically on the emitted graph: the peak bytes
 * of live intermediates (test/graph/live-memory.ts) stay within a bound that does not depend on the
 * number of groups, in the emitted order and in onnxruntime's default order; the backward pass
 * multiplies each chunk's N×N similarity gradient by the features exactly once and by the masked
 * exp(s) in one elementwise pass; the contrastive
 * gradient rules are registered.
 */
import { Graph, gradients, listGradientRules, liveNodes, type Tensor } from '@mcsc/graph';
import { graphLosses } from '../../src/index.js';
import type { BlockConBackwardPass } from '../../src/graph/block-con.js';
import { executionOrder, peakLiveBytes, type NodeOrder } from './live-memory';

/** 1 slice × 2 views, C = 5, 24×24 px, b = 2 (full coverage: 144 groups of N = 8), K = 3 (N, C and K differ, so shapes tell the products apart). */
const [BATCH, CHANNELS, SIZE, BLOCK, K] = [1, 5, 24, 2, 3];
const PASSES: BlockConBackwardPass[] = ['with-forward', 'recompute'];

function build(groups: number, chunkGroups: number, backwardPass: BlockConBackwardPass) {
  const g = new Graph({ training: true });
  const features = g.input('features', [BATCH, 2, CHANNELS, SIZE, SIZE]);
  const labels = g.input('labels', [BATCH, 2, SIZE, SIZE], 'int64');
  const out = graphLosses.blockConLoss(features, labels, {
    blockSize: BLOCK,
    numClasses: K,
    blockCoverage: 'full',
    groupsPerStep: groups,
    chunkGroups,
    backwardPass,
  });
  const [grad] = gradients(out.loss, [features]);
  return { g, out, grad: grad!, outputs: [out.loss, grad!] as Tensor[] };
}

describe('peak live memory of loss + gradient', () => {
  const orders: NodeOrder[] = ['emitted', 'onnxruntime'];
  const cases = orders.flatMap((order) => PASSES.map((pass) => [order, pass] as const));
  test.each(cases)('is bounded whatever the number of groups (%s order, %s)', (order, pass) => {
    const groups = [4, 16, 64, 144];
    const peaks = groups.map((count) => {
      const { outputs, out } = build(count, 2, pass);
      expect(out.spec.groups).toBe(count);
      return peakLiveBytes(executionOrder(outputs, order), outputs);
    });
    const tableBytes = 2 * SIZE * SIZE * CHANNELS * 4;
    const gatheredBytes = (count: number) => count * 2 * BLOCK * BLOCK * CHANNELS * 4; // G·N·C floats
    groups.forEach((count, i) => {
      // Beyond the fixed part (the table, the gradient, one chunk), at most the gathered features (one
      // copy; never more than the table, as blocks do not overlap) and a few floats per group (its loss,
      // weight, flags). The design before this one kept several copies of every group's features.
      const growth = peaks[i]! - peaks[0]!;
      expect(growth).toBeLessThanOrEqual(gatheredBytes(count) - gatheredBytes(groups[0]!) + 32 * count);
      expect(growth).toBeLessThanOrEqual(tableBytes);
    });
  });
});

describe('the backward pass of the similarity', () => {
  const chunkings = [
    [12, 2],
    [12, 5],
    [7, 7],
  ] as const;
  const cases = PASSES.flatMap((pass) => chunkings.map(([groups, chunkGroups]) => [groups, chunkGroups, pass] as const));

  test.each(cases)('%i groups in chunks of %i (%s): one N×N by N×C product per chunk for dF', (groups, chunkGroups, pass) => {
    const { g, grad, out } = build(groups, chunkGroups, pass);
    const n = out.spec.pointsPerGroup;
    const dF = (outputs: Tensor[]) =>
      liveNodes(g, outputs).filter((node) => {
        const [a, b] = node.inputs.map((x) => x!.shape.slice(-2).join('×'));
        const y = node.outputs[0]!.shape.slice(-2).join('×');
        return node.op === 'MatMul' && (a === `${n}×${n}` || b === `${n}×${n}`) && y === `${n}×${CHANNELS}`;
      });
    expect(dF([grad])).toHaveLength(out.spec.chunks);
    // The loss alone: none when its gradient is built only on demand; with the forward pass, the value's
    // nodes hold every chunk's (a loss of one chunk is always differentiated on demand).
    expect(dF([out.loss])).toHaveLength(pass === 'with-forward' && out.spec.chunks > 1 ? out.spec.chunks : 0);
  });

  test.each(cases)(
    '%i groups in chunks of %i (%s): one N×N Mul per chunk in the backward pass, no forward pass twice',
    (groups, chunkGroups, pass) => {
      const { g, grad, out } = build(groups, chunkGroups, pass);
      const n = out.spec.pointsPerGroup;
      const nByN = liveNodes(g, [out.loss, grad]).filter(
        (node) => node.op === 'Mul' && node.outputs[0]!.shape.slice(-2).join() === `${n},${n}`,
      );
      // per chunk: the forward mask E ⊙ O and one backward product gy ⊙ E₀ (not gy ⊙ O then ⊙ E); when
      // recomputing, every chunk but the last also repeats its forward pass, mask included
      const chunks = out.spec.chunks;
      expect(nByN).toHaveLength(pass === 'with-forward' || chunks === 1 ? 2 * chunks : 3 * chunks - 1);
    },
  );

  test('single point set: one product for dF', () => {
    const [n, c] = [10, 6];
    const g = new Graph();
    const f = g.input('f', [n, c]);
    const loss = graphLosses.supConLoss(f, g.input('y', [n], 'int64'), { numClasses: 3 });
    const [grad] = gradients(loss, [f]);
    const products = liveNodes(g, [grad!]).filter(
      (node) =>
        node.op === 'MatMul' &&
        node.inputs.some((x) => x!.shape.slice(-2).join() === `${n},${n}`) &&
        node.outputs[0]!.shape.slice(-1)[0] === c,
    );
    expect(products).toHaveLength(1);
  });
});

describe('gradient rules of the contrastive loss', () => {
  test('are registered in the gradient table', () => {
    const g = new Graph();
    const f = g.input('f', [4, 3]);
    gradients(graphLosses.supConLoss(f, g.input('y', [4], 'int64'), { numClasses: 2 }), [f]);
    const names = listGradientRules().map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'MatMul.symmetricSimilarity',
        'Exp.recomputedSimilarity',
        'MatMul.symmetrisedClassSums',
        'Mul.maskedExp',
        'Exp.inMaskedExp',
        'Where.fusedGradient',
        'Slice.fusedGradient',
      ]),
    );
  });
});

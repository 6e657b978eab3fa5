/**
 * The joint graph's contrast projects only the pixels its block groups sample
 * (`graphLosses.projectedBlockConLoss` with the heads of `projectorHeads`): exact, because the heads are
 * pointwise (docs/method/losses.md#projecting-only-the-sampled-points). Held against the formulation it
 * replaced, built here from the same pieces: every pixel of both networks' maps projected
 * (`projectFull` / `projectEighth`), the projections stacked [B, 2, out, h, w] and given to
 * `blockConLoss`. Same parameters (names, creation order, initial values), same feeds: L_c and the
 * gradient of L_c for every parameter it reaches (projectors, UNet, Swin-UNet) agree to 1e-5. So does
 * the labeled-only phase's own graph (`contrastSlices: B_l`, no padded points) with B_l slices active.
 */
import {
  Graph,
  Random,
  TrainingSession,
  add,
  argMax,
  concat,
  nodeRuntime,
  slice,
  softmax,
  stopGradient,
  unsqueeze,
  type BuildFn,
  type Tensor,
} from '@mcsc/graph/node';
import { graphLosses } from '@mcsc/core';
import { projectEighth, projectFull } from '../../src/models/projectors';
import { swinUnet } from '../../src/models/swin-unet';
import { classifier, unet } from '../../src/models/unet';
import { blockOptions, graphBatch, mcscGraph, type McscGraphOptions } from '../../src/trainer/mcsc-graph';
import { runSettings } from '../../src/trainer/run-settings';
import { tinyConfig } from './tiny';

type Gradients = Awaited<ReturnType<TrainingSession['computeGradients']>>;

const DATA = { numClasses: 4, inChannels: 1, classNames: ['background', 'a', 'b', 'c'] };

/**
 * The contrast as it was: the networks and cross labels as in mcsc-graph.ts (parameters created in the
 * same order), every pixel projected, blockConLoss on the stacked maps; the loss is L_c.
 */
function fullProjection(o: McscGraphOptions, specs: Map<string, graphLosses.BlockConSpec>): BuildFn {
  return (g: Graph) => {
    const batch = graphBatch(o);
    const bl = o.labeledBatchSize;
    const image = g.input('image', [batch, o.inChannels, o.patchSize, o.patchSize]);
    const cnnFeatures = unet(g, image, o.cnn);
    const cnnProbs = softmax(classifier(g, cnnFeatures[3]!, o.numClasses, 'classifier1'), 1);
    const transFeatures = swinUnet(g, image, o.transformer);
    const transProbs = softmax(classifier(g, transFeatures[3]!, o.numClasses, 'classifier2'), 1);
    if (!g.training) return { outputs: { probs_cnn: cnnProbs, probs_trans: transProbs } };
    const label = g.input('label', [bl, o.patchSize, o.patchSize], 'int64');
    const tail = (x: Tensor) => slice(x, { axes: [0], starts: [bl], ends: [batch] });
    const view = (pseudo: Tensor) => concat([label, tail(pseudo)], 0);
    const pseudoCnn = argMax(stopGradient(cnnProbs), 1);
    const pseudoTrans = argMax(stopGradient(transProbs), 1);
    const labels = concat([unsqueeze(view(pseudoTrans), 1), unsqueeze(view(pseudoCnn), 1)], 1);
    const stack = (a: Tensor, b: Tensor) => concat([unsqueeze(a, 1), unsqueeze(b, 1)], 1);
    const full = projectFull(g, cnnFeatures[3]!, transFeatures[3]!, o.projector);
    const eighth = projectEighth(g, cnnFeatures[0]!, transFeatures[1]!, o.projector);
    const side = eighth.cnn.shape[2]!;
    const conFull = graphLosses.blockConLoss(stack(full.cnn, full.trans), labels, blockOptions(o, o.contrast!, 'full'));
    const eighthLabels = graphLosses.zoomLabels(labels, [side, side]);
    const conEighth = graphLosses.blockConLoss(stack(eighth.cnn, eighth.trans), eighthLabels, blockOptions(o, o.contrast!, 'eighth'));
    specs.set('full', conFull.spec);
    specs.set('eighth', conEighth.spec);
    const con = add(conFull.loss, conEighth.loss);
    return { loss: con, scalars: { con }, outputs: { probs_cnn: cnnProbs, probs_trans: transProbs } };
  };
}

describe('projecting only the sampled points', () => {
  test('L_c and the gradient of every parameter equal those of the full projection (1e-5), on the same feeds', async () => {
    const settings = runSettings(tinyConfig(), DATA);
    const o = settings.graph;
    expect(o.contrast?.scales).toEqual(['full', 'eighth']);
    const graph = mcscGraph(o);
    const projected: BuildFn = (g) => {
      const built = graph.build(g);
      return g.training ? { ...built, loss: built.scalars!.con! } : built;
    };
    const oldSpecs = new Map<string, graphLosses.BlockConSpec>();
    const old = fullProjection(o, oldSpecs);
    const create = (build: BuildFn) => TrainingSession.create({ runtime: nodeRuntime(), build, optimizer: settings.optimizer, seed: 11 });
    const [now, before] = [await create(projected), await create(old)];
    // the same parameters in the same order (the optimizer's packing, checkpoints), with the same values
    expect(now.parameterNames).toEqual(before.parameterNames);
    const weights = before.weights();
    for (const [name, w] of now.weights()) expect([name, w.data]).toEqual([name, weights.get(name)!.data]);
    // the two graphs really differ: the old projects every pixel with Conv, the new gathers first and uses Gemm
    const ops = (build: BuildFn) => {
      const g = new Graph({ training: true });
      build(g);
      return g.nodes.filter((n) => n.scope?.includes('projector') ?? false).map((n) => n.op);
    };
    expect(ops(projected)).toContain('Gemm');
    expect(ops(projected)).not.toContain('Conv');

    const B = settings.batch;
    const P = o.patchSize;
    /** Random images and labels from `seed`, and block feeds from `shuffle` (default: the same generator, after them). */
    const feedsFor = (specs: ReadonlyMap<string, graphLosses.BlockConSpec>, seed: number, active: number, shuffle?: number) => {
      const r = new Random(seed);
      const feeds: Record<string, Float32Array | BigInt64Array> = {
        image: Float32Array.from({ length: B * P * P }, () => r.normal()),
        label: BigInt64Array.from({ length: o.labeledBatchSize * P * P }, () => BigInt(r.int(o.numClasses))),
        ct_weight: Float32Array.of(0.1),
        contrast_weight: Float32Array.of(0.001),
      };
      const blocks = shuffle === undefined ? r : new Random(shuffle);
      for (const scale of ['full', 'eighth'])
        Object.assign(feeds, graphLosses.blockConFeeds(specs.get(scale)!, { activeSlices: active, random: blocks }));
      return feeds;
    };
    expect(oldSpecs.get('full')!.projectedPixels).toBeUndefined();
    expect(graph.blockSpecs.get('full')!.projectedPixels).toBe(4 * B * 8 * 8); // G·B·b² per view

    /** L_c and every gradient of `got` against `want` (to 1e-5); the gradients that are exactly 0 counted apart. */
    let worst = 0;
    let zeroBiases = 0;
    const compare = (want: Gradients, got: Gradients) => {
      expect(want.loss).toBeGreaterThan(0);
      expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(1e-5 * want.loss);
      expect([...got.grads.keys()].sort()).toEqual([...want.grads.keys()].sort());
      const reached = [...want.grads.keys()];
      for (const prefix of ['projector1.', 'projector8.', 'encoder.', 'decoder.', 'swin_unet.'])
        expect([prefix, reached.some((n) => n.startsWith(prefix))]).toEqual([prefix, true]);
      const failures: string[] = [];
      for (const [name, w] of want.grads) {
        const gv = got.grads.get(name)!;
        const largest = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const diff = largest(gv.map((v, i) => v - w[i]!));
        const scale = largest(w);
        // A convolution's bias followed by BatchNorm (`<layer>.<k>.bias` with running statistics at
        // `<layer>.<k+1>`) has the exact gradient 0: both are round-off, held to 0 within 1e-5 of the
        // layer's weight gradient instead.
        const beforeNorm = /^(.*)\.(\d+)\.bias$/.exec(name);
        if (beforeNorm && weights.has(`${beforeNorm[1]}.${Number(beforeNorm[2]) + 1}.running_mean`)) {
          const floor = 1e-5 * largest(want.grads.get(`${beforeNorm[1]}.${beforeNorm[2]}.weight`)!);
          if (!(scale <= floor && largest(gv) <= floor)) failures.push(`${name} (exactly 0): ${largest(gv)} and ${scale}, beyond ${floor}`);
          zeroBiases++;
          continue;
        }
        // each other gradient tensor to 1e-5 of its largest entry (an entry near 0 has no relative error of its own)
        if (!(diff <= 1e-5 * scale && scale > 0)) failures.push(`${name}: ${diff} of ${scale}`);
        worst = Math.max(worst, diff / scale);
      }
      expect(failures).toEqual([]);
    };
    // The labeled-only phase's own graph (docs/method/losses.md#phases): its block points are those of the
    // B_l labeled slices only, no padding; the same L_c and gradients as the padded graphs.
    const phase = mcscGraph({ ...o, contrastSlices: o.labeledBatchSize });
    expect(phase.blockSpecs.get('full')!.pointsPerGroup).toBe(graph.blockSpecs.get('full')!.pointsPerGroup / 2);
    const labeledPhase = await create((g) => {
      const built = phase.build(g);
      return g.training ? { ...built, loss: built.scalars!.con! } : built;
    });
    for (const active of [o.labeledBatchSize, B]) {
      const want = await before.computeGradients(feedsFor(oldSpecs, 5 + active, active));
      compare(want, await now.computeGradients(feedsFor(graph.blockSpecs, 5 + active, active)));
      if (active === o.labeledBatchSize) compare(want, await labeledPhase.computeGradients(feedsFor(phase.blockSpecs, 5 + active, active)));
    }
    expect(zeroBiases).toBe(3 * 18); // the UNet's 9 double-conv blocks: both slice counts and the labeled-only phase's graph
    if (process.env.BLOCKCON_REPORT) console.log(`largest gradient difference ${worst.toExponential(2)} of the largest entry`);

    // The comparison can fail: the same images with other block groups (another shuffle) give another L_c.
    const want = await before.computeGradients(feedsFor(oldSpecs, 9, B, 1));
    const same = await now.computeGradients(feedsFor(graph.blockSpecs, 9, B, 1));
    const other = await now.computeGradients(feedsFor(graph.blockSpecs, 9, B, 2));
    expect(Math.abs(same.loss - want.loss)).toBeLessThanOrEqual(1e-5 * want.loss);
    expect(Math.abs(other.loss - want.loss)).toBeGreaterThan(1e-3 * want.loss);
    await now.release();
    await before.release();
    await labeledPhase.release();
  });
});

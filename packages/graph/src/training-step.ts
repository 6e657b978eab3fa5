/**
 * The graph a TrainingSession trains with, built in two passes. Pass 1 (a probe graph) finds which
 * parameters receive a gradient and their optimizer groups; pass 2 builds the model again on those
 * parameters packed per group (packing.ts), then their gradients and the optimizer update (in the scope
 * `optimizer`). Outputs: `loss`, the build's scalars, `new:<packed vector>` and `new:<state>`.
 */
import { gradients } from './autodiff.js';
import { Graph } from './graph.js';
import { addOptimizerUpdate, groupOf, type OptimizerConfig } from './optim.js';
import { OPTIMIZER_SCOPE, packedParamResolver, planPacking, type PackedGroup } from './packing.js';
import type { Tensor } from './tensor.js';
import type { BuildFn } from './training-session.js';

export interface TrainingStep {
  /** Pass 1's graph: every parameter and state the build creates (the session initialises from it too). */
  readonly probe: Graph;
  /** Pass 2's graph: the model on packed parameters, the gradients and the update. */
  readonly graph: Graph;
  /** Empty when there is nothing to train (no loss, or no optimizer). */
  readonly outputs: Record<string, Tensor>;
  readonly plan: readonly PackedGroup[];
  /** The optimizer, or undefined when the build returns no loss (an evaluate-only session). */
  readonly optimizer: OptimizerConfig | undefined;
}

export function buildTrainingStep(build: BuildFn, requested: OptimizerConfig | undefined, maxPackedValues?: number): TrainingStep {
  const probe = new Graph({ training: true });
  const probeLoss = build(probe).loss;
  const optimizer = probeLoss ? requested : undefined;
  const probeGrads = optimizer ? gradients(probeLoss!, probe.params) : [];
  const trained = probe.params.filter((_, i) => probeGrads[i]);
  const plan = optimizer
    ? planPacking(
        trained,
        trained.map((p) => groupOf(optimizer, p.name)),
        maxPackedValues,
      )
    : [];

  const graph: Graph = new Graph({ training: true, resolveParam: packedParamResolver(plan, () => graph) });
  const outputs: Record<string, Tensor> = {};
  if (optimizer) {
    const built = build(graph);
    const flats = plan.map((group) => graph.inputs.find((t) => t.name === group.input)!);
    const grads = gradients(built.loss!, flats);
    const updated = graph.inScope(OPTIMIZER_SCOPE, () =>
      addOptimizerUpdate(
        graph,
        optimizer,
        flats,
        grads,
        plan.map((p) => p.group),
      ),
    );
    Object.assign(outputs, { loss: built.loss!, ...built.scalars });
    for (const [name, t] of updated) outputs[`new:${name}`] = t;
    for (const u of graph.stateUpdates) outputs[`new:${u.state.name}`] = u.value;
  }
  return { probe, graph, outputs, plan, optimizer };
}

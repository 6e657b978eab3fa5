/**
 * Optimizers as graph updates, with PyTorch's semantics (torch.optim.SGD / Adam / AdamW).
 * Learning rate, weight decay and the step count are graph inputs fed at every step, so schedules
 * never rebuild a graph. Moments are graph states named as PyTorch's optimizer state
 * (`optimizer.exp_avg.<param>`, `optimizer.exp_avg_sq.<param>`, `optimizer.momentum_buffer.<param>`).
 */
import type { Graph } from './graph.js';
import type { Tensor } from './tensor.js';
import { add, div, mul, sqrt, sub } from './ops/elementwise.js';
import { McscError } from './errors.js';

export interface ParamGroup {
  /** Names the group's learning-rate and weight-decay feeds. */
  name: string;
  /** Which parameters belong here: a predicate on the parameter name, a prefix list, or a RegExp. First match wins. */
  params: ((paramName: string) => boolean) | readonly string[] | RegExp;
  /** Default weight decay when a step does not feed one; default 0. */
  weightDecay?: number;
}

export type OptimizerConfig =
  | { kind: 'sgd'; groups: readonly ParamGroup[]; momentum?: number; nesterov?: boolean }
  | { kind: 'adam' | 'adamw'; groups: readonly ParamGroup[]; betas?: readonly [number, number]; eps?: number };

/** The feeds an optimizer graph reads each step. */
export const lrInput = (group: string) => `lr.${group}`;
export const weightDecayInput = (group: string) => `weight_decay.${group}`;
export const STEP_INPUT = 'optimizer.step';
const BIAS_CORRECTION1 = 'optimizer.bias_correction1';
const BIAS_CORRECTION2_SQRT = 'optimizer.bias_correction2_sqrt';

/**
 * Step-dependent scalars the update reads, computed in float64 as PyTorch computes them (Python
 * floats): 1 − β₁ᵗ and √(1 − β₂ᵗ). In float32, 1 − 0.999ᵗ loses ~1e-5 relative accuracy at t = 1.
 */
export function stepScalars(config: OptimizerConfig, t: number): Map<string, number> {
  const out = new Map<string, number>([[STEP_INPUT, t]]);
  if (config.kind !== 'sgd') {
    const [b1, b2] = config.betas ?? [0.9, 0.999];
    out.set(BIAS_CORRECTION1, 1 - b1 ** t);
    out.set(BIAS_CORRECTION2_SQRT, Math.sqrt(1 - b2 ** t));
  }
  return out;
}

export function groupOf(config: OptimizerConfig, paramName: string): ParamGroup {
  const group = config.groups.find((gr) =>
    typeof gr.params === 'function'
      ? gr.params(paramName)
      : gr.params instanceof RegExp
        ? gr.params.test(paramName)
        : gr.params.some((p) => paramName.startsWith(p)),
  );
  if (!group)
    throw new McscError(
      'optimizer',
      `parameter '${paramName}' belongs to no parameter group (groups: ${config.groups.map((g) => g.name).join(', ')})`,
    );
  return group;
}

const zerosInit = ({ shape }: { shape: readonly number[] }) => new Float32Array(shape.reduce((a, b) => a * b, 1));

/**
 * Add the update of every parameter that has a gradient to the graph (as state updates of the
 * parameters themselves). Parameters without a gradient are left untouched, as PyTorch skips
 * parameters whose `.grad` is None.
 */
export function addOptimizerUpdate(
  g: Graph,
  config: OptimizerConfig,
  params: readonly Tensor[],
  grads: readonly (Tensor | null)[],
  groups: readonly ParamGroup[] = params.map((p) => groupOf(config, p.name)),
): Map<string, Tensor> {
  const hyper = new Map<string, { lr: Tensor; wd: Tensor }>();
  const feedsFor = (group: ParamGroup) => {
    let h = hyper.get(group.name);
    if (!h) {
      h = { lr: g.input(lrInput(group.name), []), wd: g.input(weightDecayInput(group.name), []) };
      hyper.set(group.name, h);
    }
    return h;
  };
  const scalar = (name: string) => g.inputs.find((x) => x.name === name) ?? g.input(name, []);
  const updated = new Map<string, Tensor>();

  params.forEach((p, i) => {
    const grad = grads[i];
    if (!grad) return;
    const { lr, wd } = feedsFor(groups[i]!);
    const slot = (kind: string) => g.state(`optimizer.${kind}.${p.name}`, p.shape, zerosInit);

    if (config.kind === 'sgd') {
      const mu = config.momentum ?? 0;
      let d = add(grad, mul(wd, p));
      if (mu !== 0) {
        const buf = slot('momentum_buffer');
        const next = add(mul(buf, mu), d); // first step: buf = 0 → d, as PyTorch's clone
        g.updateState(buf, next);
        d = config.nesterov ? add(d, mul(next, mu)) : next;
      }
      updated.set(p.name, sub(p, mul(lr, d)));
      return;
    }

    const [b1, b2] = config.betas ?? [0.9, 0.999];
    const eps = config.eps ?? 1e-8;
    const m = slot('exp_avg');
    const v = slot('exp_avg_sq');
    // Adam folds L2 decay into the gradient; AdamW decays the weights directly (Loshchilov & Hutter).
    const gr = config.kind === 'adam' ? add(grad, mul(wd, p)) : grad;
    const p0 = config.kind === 'adamw' ? mul(p, sub(1, mul(lr, wd))) : p;
    const m1 = add(mul(m, b1), mul(gr, 1 - b1));
    const v1 = add(mul(v, b2), mul(mul(gr, gr), 1 - b2));
    g.updateState(m, m1);
    g.updateState(v, v1);
    const bc1 = scalar(BIAS_CORRECTION1);
    const denom = add(div(sqrt(v1), scalar(BIAS_CORRECTION2_SQRT)), eps);
    updated.set(p.name, sub(p0, mul(div(lr, bc1), div(m1, denom))));
  });
  return updated;
}

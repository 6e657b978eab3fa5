/**
 * Optimizers against PyTorch's published update rules (torch.optim docs), computed here in float64:
 * AdamW: p ← p·(1 − lr·λ); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − lr/(1−β₁ᵗ) · m/(√v/√(1−β₂ᵗ) + ε)
 * Adam:  g ← g + λp, then the same without the decoupled decay.
 * SGD:   g ← g + λp; b ← μb + g (b₁ = g); p ← p − lr·(nesterov ? g + μb : b)
 * The loss is L = Σ c·p²/2 + Σ d·p, so g = c·p + d is known in closed form at every step.
 * Each operation is rounded to float32 (Math.fround) as PyTorch's float32 tensors are; the
 * learning-rate arithmetic and bias corrections stay float64, as they are Python floats there.
 */
import { type Graph, TrainingSession, add, mul, reduceSum, type OptimizerConfig, nodeRuntime } from '../src/node';

const P0 = [0.5, -1.5, 2.0, 0.1];
const C = [1.0, 0.5, 2.0, 3.0];
const D = [0.2, -0.3, 0.1, 0.0];
const steps = [
  { lr: 0.1, wd: 0.01 },
  { lr: 0.05, wd: 0.01 },
  { lr: 0.02, wd: 0.05 },
  { lr: 0.1, wd: 0.0 },
  { lr: 0.07, wd: 0.02 },
];

function reference(config: OptimizerConfig): number[][] {
  const p = [...P0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const history: number[][] = [];
  steps.forEach(({ lr, wd }, s) => {
    const t = s + 1;
    const f = Math.fround;
    for (let i = 0; i < p.length; i++) {
      let g = f(f(C[i]! * p[i]!) + D[i]!);
      if (config.kind === 'sgd') {
        const mu = config.momentum ?? 0;
        g = f(g + f(wd * p[i]!));
        m[i] = f(f(mu * m[i]!) + g);
        p[i] = f(p[i]! - f(lr * (config.nesterov ? f(g + f(mu * m[i]!)) : mu ? m[i]! : g)));
        continue;
      }
      const [b1, b2] = config.betas ?? [0.9, 0.999];
      const eps = config.eps ?? 1e-8;
      if (config.kind === 'adam') g = f(g + f(wd * p[i]!));
      else p[i] = f(p[i]! * (1 - lr * wd));
      m[i] = f(f(b1 * m[i]!) + f((1 - b1) * g));
      v[i] = f(f(b2 * v[i]!) + f((1 - b2) * f(g * g)));
      const denom = f(f(Math.sqrt(v[i]!) / Math.sqrt(1 - b2 ** t)) + eps);
      p[i] = f(p[i]! - f((lr / (1 - b1 ** t)) * f(m[i]! / denom)));
    }
    history.push([...p]);
  });
  return history;
}

const configs: [string, OptimizerConfig][] = [
  ['AdamW', { kind: 'adamw', groups: [{ name: 'all', params: () => true }] }],
  ['AdamW, other betas and eps', { kind: 'adamw', betas: [0.8, 0.99], eps: 1e-6, groups: [{ name: 'all', params: () => true }] }],
  ['Adam (L2 in the gradient)', { kind: 'adam', groups: [{ name: 'all', params: () => true }] }],
  ['SGD with momentum', { kind: 'sgd', momentum: 0.9, groups: [{ name: 'all', params: () => true }] }],
  ['SGD with Nesterov momentum', { kind: 'sgd', momentum: 0.9, nesterov: true, groups: [{ name: 'all', params: () => true }] }],
  ['plain SGD', { kind: 'sgd', groups: [{ name: 'all', params: () => true }] }],
];

describe('optimizers follow PyTorch update formulas', () => {
  test.each(configs)('%s over five steps with fed lr and weight decay', async (_name, config) => {
    const session = await TrainingSession.create({
      runtime: nodeRuntime(),
      build: (g: Graph) => {
        const p = g.param('p', [4], () => Float32Array.from(P0));
        const c = g.constant(C, [4]);
        const d = g.constant(D, [4]);
        return { loss: reduceSum(add(mul(mul(c, mul(p, p)), 0.5), mul(d, p))) };
      },
      optimizer: config,
    });
    const expected = reference(config);
    for (const [s, { lr, wd }] of steps.entries()) {
      await session.step({}, { lr, weightDecay: wd });
      const got = Array.from(session.weights().get('p')!.data as Float32Array);
      got.forEach((v, i) => expect(Math.abs(v - expected[s]![i]!)).toBeLessThan(1e-6));
    }
    expect(session.stepCount).toBe(steps.length);
  });

  test('parameter groups get their own learning rates; a parameter without gradient is untouched', async () => {
    const session = await TrainingSession.create({
      runtime: nodeRuntime(),
      build: (g: Graph) => {
        const a = g.param('net.a', [1], () => Float32Array.of(1));
        const b = g.param('head.b', [1], () => Float32Array.of(1));
        g.param('head.unused', [1], () => Float32Array.of(7));
        return { loss: reduceSum(add(a, b)) };
      },
      optimizer: {
        kind: 'sgd',
        groups: [
          { name: 'net', params: ['net.'] },
          { name: 'head', params: /^head\./ },
        ],
      },
    });
    await session.step({}, { lr: { net: 0.5, head: 0.25 } });
    expect(session.weights().get('net.a')!.data[0]).toBeCloseTo(0.5, 7);
    expect(session.weights().get('head.b')!.data[0]).toBeCloseTo(0.75, 7);
    expect(session.weights().get('head.unused')!.data[0]).toBe(7);
    await expect(session.step({}, { lr: { net: 0.5 } })).rejects.toThrow("no lr for parameter group 'head'");
  });

  test('a parameter outside every group is a build error', async () => {
    await expect(
      TrainingSession.create({
        runtime: nodeRuntime(),
        build: (g: Graph) => ({ loss: reduceSum(g.param('x', [1], () => Float32Array.of(1))) }),
        optimizer: { kind: 'adamw', groups: [{ name: 'cnn', params: ['encoder.'] }] },
      }),
    ).rejects.toThrow("parameter 'x' belongs to no parameter group (groups: cnn)");
  });
});

/**
 * Finite differences with respect to a session's parameters: every parameter tensor, a few entries
 * each, central differences of `computeGradients`' loss against its analytic gradient — the whole
 * chain rule through a network, end to end.
 */
import type { Feeds, TrainingSession } from '@mcsc/graph';

export interface ParameterGradCheck {
  eps: number;
  atol: number;
  rtol: number;
  /** Which entries of each tensor to check; default first, middle and last. */
  entries?: (size: number) => number[];
}

export async function checkParameterGradients(
  session: TrainingSession,
  feeds: Feeds,
  opts: ParameterGradCheck,
): Promise<{ checked: number; failures: string[] }> {
  const { eps, atol, rtol, entries = (n) => [0, Math.floor(n / 2), n - 1] } = opts;
  const { grads } = await session.computeGradients(feeds);
  const failures: string[] = [];
  let checked = 0;
  for (const name of session.parameterNames) {
    const values = session.weights().get(name)!.data as Float32Array;
    const analytic = grads.get(name)!;
    for (const i of new Set(entries(values.length))) {
      const keep = values[i]!;
      values[i] = keep + eps;
      const up = (await session.computeGradients(feeds)).loss;
      values[i] = keep - eps;
      const down = (await session.computeGradients(feeds)).loss;
      values[i] = keep;
      const numeric = (up - down) / (2 * eps);
      checked++;
      if (Math.abs(numeric - analytic[i]!) > atol + rtol * Math.abs(numeric))
        failures.push(`${name}[${i}]: analytic ${analytic[i]}, numeric ${numeric}`);
    }
  }
  return { checked, failures };
}

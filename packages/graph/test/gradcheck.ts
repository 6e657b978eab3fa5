/**
 * Finite-difference gradient checking through onnxruntime.
 * The checked function f(inputs) is reduced to a scalar L = Σ f·R with a fixed random R, so every
 * output element matters. The analytic gradient comes from `gradients()` run in one ORT session;
 * the numeric one from central differences (L(x+ε) − L(x−ε))/2ε, in float32, on a sample of elements.
 */
import * as ort from 'onnxruntime-node';
import { Graph, Random, emitModel, gradients, mul, reduceSum, type DType, type Tensor, type TensorData } from '../src/index';

export interface InputSpec {
  shape: number[];
  dtype?: DType;
  /** Values; default: N(0, 1) kept at least `margin` away from 0 (so kinks are not straddled). */
  data?: TensorData;
  /** Differentiate with respect to this input (float32 only); default true for float32. */
  grad?: boolean;
}

export interface GradCheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Elements checked per input (sampled); default 40. */
  samples?: number;
  seed?: number;
  training?: boolean;
  margin?: number;
}

export interface GradCheckResult {
  maxError: number;
  checked: number;
  failures: string[];
}

export function randomData(shape: number[], random: Random, margin = 0.05): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => {
    const v = random.normal();
    return v >= 0 ? v + margin : v - margin;
  });
}

/** Values spaced ≥ 0.1 apart in random order: no ties, no near-ties (for max-pool and reductions). */
export function distinctData(shape: number[], random: Random): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const perm = random.permutation(n);
  return Float32Array.from(perm, (p) => (p - n / 2) * 0.1);
}

export async function gradCheck(
  specs: InputSpec[],
  fn: (...xs: Tensor[]) => Tensor,
  opts: GradCheckOptions = {},
): Promise<GradCheckResult> {
  const { eps = 1e-2, atol = 3e-3, rtol = 1e-2, samples = 40, seed = 1, training = true, margin = 0.05 } = opts;
  const random = new Random(seed);
  const g = new Graph({ training, dropout: false });
  const xs = specs.map((s, i) => g.input(`x${i}`, s.shape, s.dtype ?? 'float32'));
  const values = specs.map((s) => s.data ?? randomData(s.shape, random, margin));
  const y = fn(...xs);
  const r = g.constant(randomData([...y.shape], random, 0), y.shape);
  const loss = reduceSum(mul(y, r));
  const wrt = xs.filter((x, i) => x.dtype === 'float32' && specs[i]!.grad !== false);
  const grads = gradients(loss, wrt);
  const outputs: Record<string, Tensor> = { loss };
  grads.forEach((d, i) => {
    if (d) outputs[`d${i}`] = d;
  });
  // Parameters and states the function creates (layers, BatchNorm running statistics) are baked in
  // with their initial values; the check differentiates with respect to the inputs.
  const states = new Map(
    [...g.params, ...g.states].map((t) => [t.name, g.initializers.get(t.name)!({ shape: t.shape, name: t.name, random })]),
  );
  const full = await ort.InferenceSession.create(emitModel(g, { outputs, keepInputs: xs, initializers: states }).bytes);
  const fwd = await ort.InferenceSession.create(emitModel(g, { outputs: { loss }, keepInputs: xs, initializers: states }).bytes);

  const feeds = () => Object.fromEntries(xs.map((x, i) => [x.name, new ort.Tensor(x.dtype, values[i]!, [...x.shape])]));
  const analytic = await full.run(feeds());
  const lossAt = async () => Number(((await fwd.run(feeds())).loss!.data as Float32Array)[0]);

  let maxError = 0;
  let checked = 0;
  const failures: string[] = [];
  for (const [k, x] of wrt.entries()) {
    const data = values[xs.indexOf(x)] as Float32Array;
    const d = analytic[`d${k}`]?.data as Float32Array | undefined;
    const picks = data.length <= samples ? [...data.keys()] : [...random.permutation(data.length).slice(0, samples)];
    for (const i of picks) {
      const keep = data[i]!;
      data[i] = keep + eps;
      const up = await lossAt();
      data[i] = keep - eps;
      const down = await lossAt();
      data[i] = keep;
      const numeric = (up - down) / (2 * eps);
      const got = d ? d[i]! : 0;
      const err = Math.abs(got - numeric);
      maxError = Math.max(maxError, err / (atol + rtol * Math.abs(numeric)));
      checked++;
      if (err > atol + rtol * Math.abs(numeric)) failures.push(`${x.name}[${i}]: analytic ${got}, numeric ${numeric}`);
    }
  }
  await full.release();
  await fwd.release();
  return { maxError, checked, failures: failures.slice(0, 5) };
}

/**
 * Matching named tensors to a session's parameters and states (PyTorch `load_state_dict` semantics,
 * with one error that lists every problem), and the training-state file format.
 */
import { STEP_INPUT } from './optim.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.js';
import { formatShape } from './tensor.js';
import { McscError } from './errors.js';

export interface LoadWeightsOptions {
  /** Every parameter and state must be given and no unknown name may appear (default true). */
  readonly strict?: boolean;
  /** Names to skip without complaint (e.g. a reference checkpoint's unused head). */
  readonly ignore?: readonly RegExp[];
  /** How errors name where the tensors came from (a file path); default 'weights'. */
  readonly source?: string;
}

/** What `loadWeights` did, by name. */
export interface LoadWeightsReport {
  readonly loaded: readonly string[];
  /** The session's names that were not given (kept their values). Empty when strict. */
  readonly missing: readonly string[];
  /** Given names the session does not have (ignored ones excluded). Empty when strict. */
  readonly unexpected: readonly string[];
  readonly ignored: readonly string[];
}

const OPTIMIZER_PREFIX = 'optimizer.';

/** True for names of optimizer moments, which are training state but not weights. */
export function isOptimizerState(name: string): boolean {
  return name.startsWith(OPTIMIZER_PREFIX);
}

/**
 * Checks `given` against `own` and writes the matching tensors into `own`. Shapes must always match;
 * when strict, missing and unexpected names are errors too. Nothing is assigned if anything fails.
 */
export function assignWeights(
  own: Map<string, NamedTensor>,
  given: ReadonlyMap<string, NamedTensor>,
  options: LoadWeightsOptions = {},
): LoadWeightsReport {
  const { strict = true, ignore = [], source = 'weights' } = options;
  const expected = [...own.keys()].filter((k) => !isOptimizerState(k) || given.has(k));
  const missing = expected.filter((k) => !given.has(k));
  const ignored = [...given.keys()].filter((k) => !own.has(k) && ignore.some((r) => r.test(k)));
  const unexpected = [...given.keys()].filter((k) => !own.has(k) && !ignored.includes(k));
  const mismatched = [...given]
    .filter(([k, t]) => own.has(k) && own.get(k)!.shape.join() !== t.shape.join())
    .map(([k, t]) => `${k}: file ${formatShape(t.shape)}, model ${formatShape(own.get(k)!.shape)}`);
  // An int64 state may be given as float (a PyTorch num_batches_tracked saved as F32); nothing else converts.
  const wrongType = [...given]
    .filter(([k, t]) => own.has(k) && t.dtype !== own.get(k)!.dtype && !(own.get(k)!.dtype === 'int64' && t.dtype === 'float32'))
    .map(([k, t]) => `${k}: file ${t.dtype}, model ${own.get(k)!.dtype}`);
  const problems = [
    ...(strict && missing.length ? [`missing: ${missing.join(', ')}`] : []),
    ...(strict && unexpected.length ? [`unexpected: ${unexpected.join(', ')}`] : []),
    ...(mismatched.length ? [`shape mismatch: ${mismatched.join('; ')}`] : []),
    ...(wrongType.length ? [`dtype mismatch: ${wrongType.join('; ')}`] : []),
  ];
  if (problems.length) throw new McscError(source, `weights do not match the model: ${problems.join('; ')}`);
  const loaded: string[] = [];
  for (const [k, t] of given) {
    const mine = own.get(k);
    if (!mine) continue;
    const data =
      mine.dtype === 'int64' && t.dtype !== 'int64' ? BigInt64Array.from(t.data as Float32Array, (v) => BigInt(Math.round(v))) : t.data;
    own.set(k, { ...mine, data });
    loaded.push(k);
  }
  return { loaded, missing, unexpected, ignored };
}

const STATE_FORMAT = 'mcsc-training-state';

/** A training state as safetensors bytes: every tensor, the step count, the dropout RNG and metadata. */
export function encodeTrainingState(
  values: ReadonlyMap<string, NamedTensor>,
  stepCount: number,
  rngState: unknown,
  metadata: Record<string, string>,
): Uint8Array {
  const tensors = new Map(values);
  tensors.set(STEP_INPUT, { dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(stepCount)) });
  return encodeSafetensors(tensors, { ...metadata, format: STATE_FORMAT, dropoutRng: JSON.stringify(rngState) });
}

export interface DecodedTrainingState {
  tensors: Map<string, NamedTensor>;
  stepCount: number;
  rngState: unknown;
  metadata: Record<string, string>;
}

export function decodeTrainingState(bytes: Uint8Array, source: string): DecodedTrainingState {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  if (metadata.format !== STATE_FORMAT)
    throw new McscError(source, `not a training state (metadata.format is '${metadata.format}', expected '${STATE_FORMAT}')`);
  const step = tensors.get(STEP_INPUT);
  if (step?.dtype !== 'int64' || step.data.length !== 1)
    throw new McscError(source, `training state has no '${STEP_INPUT}' int64 scalar; expected one written by TrainingSession.exportState`);
  tensors.delete(STEP_INPUT);
  let rngState: unknown;
  try {
    rngState = JSON.parse(metadata.dropoutRng ?? '');
  } catch {
    throw new McscError(
      source,
      "training state metadata 'dropoutRng' is not JSON; expected the generator state written by TrainingSession.exportState",
    );
  }
  return { tensors, stepCount: Number((step.data as BigInt64Array)[0]), rngState, metadata };
}

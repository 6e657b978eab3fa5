/**
 * The one small interface between graphs and an ONNX Runtime build, in the manner of onnxruntime's
 * js/common: `GraphRuntime` creates sessions from ONNX bytes, `RuntimeSession` runs them on plain
 * tensors. Adapters: `nodeRuntime()` (onnxruntime-node, `@mcsc/graph/node`) and `webRuntime()`
 * (onnxruntime-web, `@mcsc/graph/web`). This module imports neither: it is what the pure builder,
 * `TrainingSession` and `@mcsc/infer` program against.
 */
import type { TensorData } from '../tensor.js';
import { McscError } from '../errors.js';

/** A tensor crossing the runtime boundary: an ONNX element type name, its values and its shape. */
export interface RuntimeTensor {
  /** onnxruntime's type name: 'float32', 'int64', 'bool', 'uint8', … */
  readonly type: string;
  readonly data: TensorData;
  readonly dims: readonly number[];
}

/** One input or output of a loaded model: element type and shape (a string for a symbolic dimension). */
export interface ValueInfo {
  readonly name: string;
  readonly type: string;
  readonly shape: readonly (number | string)[];
}

/** A loaded model. */
export interface RuntimeSession {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** Runs the model; `fetch` limits the outputs computed (default: all). Outputs are on the CPU. */
  run(feeds: Readonly<Record<string, RuntimeTensor>>, fetch?: readonly string[]): Promise<Record<string, RuntimeTensor>>;
  release(): Promise<void>;
}

/** An ONNX Runtime build with a chosen device. */
export interface GraphRuntime {
  /** E.g. `onnxruntime-node 1.30.0 (cpu, 2 threads)`, for logs and benchmarks. */
  readonly description: string;
  readonly device: Device;
  /** Creates a session; rejects with onnxruntime's own message for a model it cannot load. */
  createSession(model: Uint8Array): Promise<RuntimeSession>;
}

/** Devices by the names users write (`--device`, `device:` options). */
export type Device = 'cpu' | 'cuda' | 'wasm' | 'webgpu';

/**
 * The one table from a device name to onnxruntime execution providers (in order of preference, the
 * fallback last) and the builds that have it. Every `--device`, `device:` and provider choice in the
 * project reads this table.
 */
export const DEVICES: Readonly<Record<Device, { readonly providers: readonly string[]; readonly builds: readonly ('node' | 'web')[] }>> =
  Object.freeze({
    cpu: Object.freeze({ providers: Object.freeze(['cpu']), builds: Object.freeze(['node'] as const) }),
    cuda: Object.freeze({ providers: Object.freeze(['cuda', 'cpu']), builds: Object.freeze(['node'] as const) }),
    wasm: Object.freeze({ providers: Object.freeze(['wasm']), builds: Object.freeze(['web'] as const) }),
    webgpu: Object.freeze({ providers: Object.freeze(['webgpu', 'wasm']), builds: Object.freeze(['web'] as const) }),
  });

/** The device names a build accepts, e.g. `devicesOf('node')` → ['cpu', 'cuda']. */
export function devicesOf(build: 'node' | 'web'): Device[] {
  return (Object.keys(DEVICES) as Device[]).filter((d) => DEVICES[d].builds.includes(build));
}

/** Checks a user-given device name against a build; the error lists what is accepted. */
export function checkDevice(device: string, build: 'node' | 'web', where: string): Device {
  const accepted = devicesOf(build);
  if (!(accepted as string[]).includes(device)) {
    throw new McscError(
      where,
      `device must be one of ${accepted.map((d) => `'${d}'`).join(', ')} on onnxruntime-${build}, got '${device}'`,
    );
  }
  return device as Device;
}

/** The {@link GraphRuntime} of Node: onnxruntime-node, CPU by default, CUDA where its libraries are installed. */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { wrapOrtSession, firstLine, ortMemoryOptions, type OrtMemoryOptions } from './ort-session.js';
import { checkDevice, DEVICES, devicesOf, type Device, type GraphRuntime } from './runtime.js';
import { McscError } from '../errors.js';

/**
 * Besides device, threads and profiling, onnxruntime's two memory settings ({@link OrtMemoryOptions}),
 * passed to every session the runtime creates: `enableMemPattern` (default true) and `enableCpuMemArena`
 * (default true). With both on, a step's peak RSS is 2.5–2.7× the live set onnxruntime reports (the arena
 * keeps the first run's chunks, the memory pattern adds one block as large from the second run on); the
 * measured effect of turning them off on the MCSC step is in docs/engine.md ("Memory settings").
 */
export interface NodeRuntimeOptions extends OrtMemoryOptions {
  /** `'cpu'` (default) or `'cuda'`. */
  readonly device?: Device;
  /** Intra-op threads; default one per core: onnxruntime's choice in the sequential mode, given explicitly in the parallel one. */
  readonly threads?: number;
  /**
   * Turns on onnxruntime's profiler: each session writes a Chrome-trace JSON of every node it ran
   * (`<profilePrefix>_<date>.json`, e.g. `/tmp/step` → `/tmp/step_2025-…json`) when it is released.
   * Node names carry their `Graph.scope`. For benchmarks (packages/train/bench/step-profile.bench.ts).
   */
  readonly profilePrefix?: string;
  /**
   * onnxruntime's execution mode. `'sequential'` (onnxruntime's default) runs one node at a time, each on
   * the intra-op threads; `'parallel'` also runs nodes that do not depend on each other at the same time,
   * on `interOpThreads` threads. A training step of two networks has two such branches: measured on the
   * MCSC step with 2 cores (docs/engine.md#execution-mode), parallel was as fast or 5–25 % faster, and
   * with the default intra-op threads (2) another 10–30 % faster than with 1.
   */
  readonly executionMode?: 'sequential' | 'parallel';
  /** Inter-op threads of the parallel mode; default: onnxruntime's choice (one per core). */
  readonly interOpThreads?: number;
}

/** Devices the installed onnxruntime-node can run (CUDA appears only once its libraries are installed). */
export function availableNodeDevices(): Device[] {
  const backends = ort.listSupportedBackends();
  return devicesOf('node').filter((d) => backends.some((b) => b.name === DEVICES[d].providers[0] && (b.bundled || d === 'cuda')));
}

/** A runtime over onnxruntime-node. Throws a RangeError naming the devices there are for one that is not. */
export function nodeRuntime(options: NodeRuntimeOptions = {}): GraphRuntime {
  const { threads, profilePrefix } = options;
  const memory = ortMemoryOptions(options, 'nodeRuntime');
  const device = checkDevice(options.device ?? 'cpu', 'node', 'nodeRuntime');
  const { executionMode = 'sequential', interOpThreads } = options;
  for (const [key, value] of [
    ['threads', threads],
    ['interOpThreads', interOpThreads],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new McscError('nodeRuntime', `${key} must be a positive integer, got ${value}`);
    }
  }
  if (executionMode !== 'sequential' && executionMode !== 'parallel') {
    throw new McscError('nodeRuntime', `executionMode must be 'sequential' or 'parallel', got ${String(executionMode)}`);
  }
  if (interOpThreads !== undefined && executionMode !== 'parallel') {
    throw new McscError('nodeRuntime', "interOpThreads applies to executionMode 'parallel' only");
  }
  const intraOpThreads = threads ?? (executionMode === 'parallel' ? availableParallelism() : undefined);
  const available = availableNodeDevices();
  if (!available.includes(device)) {
    throw new McscError(
      'nodeRuntime',
      `device '${device}' is not available in this onnxruntime-node install; available: ${available.join(', ')} (CUDA: see the README section "CUDA")`,
    );
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [...DEVICES[device].providers],
    graphOptimizationLevel: 'all',
    // In the parallel mode the intra-op thread count is always given (one per core by default): left at
    // onnxruntime's default it pins those threads to cores, and the nodes of the two branches then queue
    // for them (measured slower than one thread per node; docs/engine.md#execution-mode).
    ...(intraOpThreads !== undefined ? { intraOpNumThreads: intraOpThreads } : {}),
    ...(executionMode === 'parallel'
      ? { executionMode, ...(interOpThreads !== undefined ? { interOpNumThreads: interOpThreads } : {}) }
      : {}),
    ...(profilePrefix !== undefined ? { enableProfiling: true, profileFilePrefix: profilePrefix } : {}),
    ...memory,
  };
  const notes = [
    ...(executionMode === 'parallel' ? [`parallel, ${interOpThreads ?? 'default'} inter-op threads`] : []),
    ...(memory.enableMemPattern === false ? ['memory pattern off'] : []),
    ...(memory.enableCpuMemArena === false ? ['cpu arena off'] : []),
  ];
  return {
    description: `onnxruntime-node ${ort.env.versions.node ?? ''} (${[device, `${intraOpThreads ?? 'default'} threads`, ...(profilePrefix !== undefined ? ['profiling'] : []), ...notes].join(', ')})`,
    device,
    async createSession(model) {
      try {
        return wrapOrtSession(await ort.InferenceSession.create(model, sessionOptions), ort.Tensor);
      } catch (e) {
        if (device === 'cuda') {
          throw new McscError(
            'nodeRuntime',
            `device 'cuda' failed to start (${firstLine(e)}); expected onnxruntime-node's CUDA libraries: see the README section "CUDA"`,
          );
        }
        throw e;
      }
    },
  };
}

/**
 * The pure half of the step-profile bench (step-profile.bench.ts): onnxruntime's profile (Chrome-trace
 * JSON, one event per kernel run) summed per part of the MCSC step by the scope prefix of the node
 * names (`unet/Conv_12` → unet; `Graph.scope` in @mcsc/graph), the Markdown tables, and their marked
 * blocks in docs/engine.md. The step-profile test checks these against a made-up profile and the doc.
 */
import { McscError } from '@mcsc/graph';
import { SCOPES } from '../src/trainer/mcsc-graph';

/** The parts of the step, in table order: the joint graph's scopes, then the training session's. */
export const PARTS = [SCOPES.cnn, SCOPES.trans, SCOPES.contrast.full, SCOPES.contrast.eighth, SCOPES.losses, 'optimizer'] as const;
/** Kernels of nodes without a scope: the graph's output Identities and the nodes onnxruntime's optimizer inserts. */
export const UNSCOPED = '(no scope)';

const PART_NOTES: Record<string, string> = {
  [SCOPES.cnn]: 'UNet + classifier1, forward and backward',
  [SCOPES.trans]: 'Swin-UNet + classifier2, forward and backward',
  [SCOPES.contrast.full]: 'projectors and block contrastive loss at 1/1',
  [SCOPES.contrast.eighth]: 'projectors and block contrastive loss at 1/8',
  [SCOPES.losses]: 'supervised CE + Dice, cross teaching, pseudo and cross labels',
  optimizer: 'parameter packing (Split, gradient Concat), AdamW',
  [UNSCOPED]: 'layout Transposes and Reshapes onnxruntime inserts; an Identity for an output that is not a node result',
};

/** Rows after the kernels: the time of a step outside them, measured around each step and each run. */
export const OVERHEAD_ROWS = {
  ortOutside: 'onnxruntime outside kernels',
  runCall: 'run call: tensors in and out',
  js: 'JS: packing, feeds, unpacking',
} as const;

/** One event of onnxruntime's profile (the fields read here). */
export interface ProfileEvent {
  readonly cat?: string;
  readonly name: string;
  readonly ts: number;
  readonly dur: number;
  readonly args?: Readonly<Record<string, unknown>>;
}

export interface PartRun {
  kernels: number;
  /** Σ kernel durations, µs. */
  us: number;
  /** Σ output bytes of its kernels. */
  outBytes: number;
  /** Most bytes in use in onnxruntime's CPU arena right after one of its kernels. */
  maxInUse: number;
  /** µs per op type. */
  ops: Record<string, number>;
  /** µs and kernels per nested scope (`contrast.full/projector` → `projector`). */
  sub: Record<string, { us: number; kernels: number }>;
}

/** One `session.run` as onnxruntime's profile saw it. */
export interface RunProfile {
  /** The `model_run` event, µs. */
  modelRunUs: number;
  /** Σ of all kernel durations, µs. */
  kernelUs: number;
  /** Most arena bytes in use, and reserved (held), after any kernel. */
  maxInUse: number;
  arenaHeld: number;
  parts: Record<string, PartRun>;
}

/**
 * The part a kernel event belongs to, its node's top-level scope ({@link UNSCOPED} for none), and the
 * scope nested in that (`contrast.full/projector/Conv_7_kernel_time` → projector), if any.
 */
export function partOf(eventName: string): { part: string; sub: string | undefined } {
  // onnxruntime names a node it fuses (Gemm + Relu → FusedGemm) 'fused <first node's name>'
  const levels = eventName.replace(/^fused /, '').split('/');
  if (levels.length < 2) return { part: UNSCOPED, sub: undefined };
  // A node name is <scopes>/<op>_<id>; onnxruntime may append to it (`unet/MatMul_9/MatmulTransposeFusion/_kernel_time`).
  const sub = levels.length > 2 && !/^[A-Za-z]+_\d+$/.test(levels[1]!) ? levels[1] : undefined;
  return { part: levels[0]!, sub };
}

const num = (v: unknown): number => (typeof v === 'string' || typeof v === 'number' ? Number(v) : 0);

/** Kernel events per `model_run` (in run order), summed per part. */
export function runProfiles(events: readonly ProfileEvent[]): RunProfile[] {
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  return runs.map((run) => {
    const profile: RunProfile = { modelRunUs: run.dur, kernelUs: 0, maxInUse: 0, arenaHeld: 0, parts: {} };
    for (const e of kernels) {
      if (e.ts < run.ts || e.ts > run.ts + run.dur) continue;
      const { part, sub } = partOf(e.name);
      const p = profile.parts[part] ?? { kernels: 0, us: 0, outBytes: 0, maxInUse: 0, ops: {}, sub: {} };
      profile.parts[part] = p;
      if (sub !== undefined) {
        const s = p.sub[sub] ?? { us: 0, kernels: 0 };
        p.sub[sub] = { us: s.us + e.dur, kernels: s.kernels + 1 };
      }
      const inUse = num(e.args?.mem_bytes_in_use);
      const op = String(e.args?.op_name ?? e.name);
      p.kernels++;
      p.us += e.dur;
      p.outBytes += num(e.args?.output_size);
      p.maxInUse = Math.max(p.maxInUse, inUse);
      p.ops[op] = (p.ops[op] ?? 0) + e.dur;
      profile.kernelUs += e.dur;
      profile.maxInUse = Math.max(profile.maxInUse, inUse);
      profile.arenaHeld = Math.max(profile.arenaHeld, num(e.args?.mem_arena_held));
    }
    return profile;
  });
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new McscError('median', 'no values');
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** What a profiled child process reports. */
export interface ProfiledMeasurement {
  /** Wall ms of each `session.step` and of the `run` call inside it, warm-up steps first. */
  stepMs: number[];
  runMs: number[];
  /** One per step, from onnxruntime's profile. */
  runs: RunProfile[];
  warmup: number;
  /** Wall ms of the steps of a second session without the profiler, taking turns with the profiled one. */
  alternatingMs?: number[];
}

/** What the child process with the profiler off reports. */
export interface PlainMeasurement {
  stepMs: number[];
  warmup: number;
  /** VmHWM of the process, bytes. */
  peakRss: number;
}

export interface ProfileSetting {
  preset: string;
  /** E.g. `batch 4×1×128², UNet [16, 32, 64, 128, 256], …`. */
  description: string;
  /** Date, machine, onnxruntime, load averages. */
  conditions: string;
}

const MiB = 2 ** 20;
const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (x: number) => `${x < 0.1 ? fmt(x * 100, 1) : fmt(x * 100)} %`;

/**
 * The Markdown of one preset: time per part (medians over the measured steps), the time outside the
 * kernels, and memory (from the first, warm-up run: the only one whose allocations the profile sees
 * one by one; from the second run onnxruntime's memory pattern allocates each run's planned block at once).
 */
export function profileMarkdown(setting: ProfileSetting, profiled: ProfiledMeasurement, plain: PlainMeasurement): string {
  const measured = <T>(xs: readonly T[], warmup: number) => xs.slice(warmup);
  const runs = measured(profiled.runs, profiled.warmup);
  const steps = measured(profiled.stepMs, profiled.warmup);
  const calls = measured(profiled.runMs, profiled.warmup);
  if (runs.length === 0 || runs.length !== steps.length || calls.length !== steps.length) {
    throw new McscError('profileMarkdown', `${runs.length} profiled runs for ${steps.length} measured steps and ${calls.length} run calls`);
  }
  const first = profiled.runs[0]!;
  const stepMedian = median(steps);
  const rows: string[] = [];
  const known = new Set<string>([...PARTS, UNSCOPED]);
  const others = Object.keys(first.parts).filter((p) => !known.has(p));
  for (const part of [...PARTS, ...others, UNSCOPED]) {
    const present = runs.map((r) => r.parts[part]).filter((p): p is PartRun => p !== undefined);
    if (present.length === 0) continue;
    const ms = median(present.map((p) => p.us / 1000));
    const opTotals = new Map<string, number[]>();
    for (const p of present) for (const [op, us] of Object.entries(p.ops)) opTotals.set(op, [...(opTotals.get(op) ?? []), us / 1000]);
    const ops = [...opTotals]
      .map(([op, v]) => [op, median(v)] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([op, v]) => `${op} ${fmt(v)}`)
      .join(', ');
    const mem = first.parts[part];
    rows.push(
      `| ${part} | ${PART_NOTES[part] ?? ''} | ${fmt(present[0]!.kernels)} | ${fmt(ms)} | ${pct(ms / stepMedian)} | ${ops} | ${mem ? fmt(mem.outBytes / MiB) : ''} | ${mem ? fmt(mem.maxInUse / MiB) : ''} |`,
    );
    for (const sub of Object.keys(present[0]!.sub).sort()) {
      const subMs = median(present.map((p) => (p.sub[sub]?.us ?? 0) / 1000));
      rows.push(`| ↳ ${part}/${sub} | | ${fmt(present[0]!.sub[sub]!.kernels)} | ${fmt(subMs)} | ${pct(subMs / stepMedian)} | | | |`);
    }
  }
  const overhead = (label: string, values: number[]) => {
    const ms = median(values);
    rows.push(`| ${label} | | | ${fmt(ms)} | ${pct(ms / stepMedian)} | | | |`);
  };
  overhead(
    OVERHEAD_ROWS.ortOutside,
    runs.map((r) => (r.modelRunUs - r.kernelUs) / 1000),
  );
  overhead(
    OVERHEAD_ROWS.runCall,
    runs.map((r, i) => calls[i]! - r.modelRunUs / 1000),
  );
  overhead(
    OVERHEAD_ROWS.js,
    steps.map((s, i) => s - calls[i]!),
  );
  const kernelCount = Object.values(first.parts).reduce((n, p) => n + p.kernels, 0);
  rows.push(
    `| **step, profiled** | | ${fmt(kernelCount)} | **${fmt(stepMedian)}** | 100 % | kernels ${fmt(median(runs.map((r) => r.kernelUs / 1000)))} | ${fmt(Object.values(first.parts).reduce((n, p) => n + p.outBytes, 0) / MiB)} | ${fmt(first.maxInUse / MiB)}; held ${fmt(first.arenaHeld / MiB)}, with the memory pattern ${fmt(Math.max(...profiled.runs.map((r) => r.arenaHeld)) / MiB)} |`,
  );
  // A share only for the session taking turns with the profiled one: a step of another process ran
  // at another time, under another load.
  const offRow = (label: string, what: string, all: readonly number[], warmup: number, share: boolean, memory: string) => {
    const off = measured(all, warmup);
    const m = median(off);
    rows.push(
      `| ${label} | ${what} | | ${fmt(m)} | ${share ? pct(m / stepMedian) : ''} | steps ${off.map((s) => fmt(s)).join(', ')} | | ${memory} |`,
    );
  };
  if (profiled.alternatingMs) {
    offRow('step, profiler off', 'a second session, taking turns with the profiled one', profiled.alternatingMs, profiled.warmup, true, '');
  }
  offRow(
    'step, profiler off, alone',
    'its own process, after the profiled one',
    plain.stepMs,
    plain.warmup,
    false,
    `peak RSS ${fmt(plain.peakRss / MiB)}`,
  );
  return [
    `\`${setting.preset}\` preset: ${setting.description}. ${setting.conditions}. Medians of ${steps.length} steps after ${profiled.warmup} warm-up steps (profiled steps: ${steps.map((s) => fmt(s)).join(', ')} ms).`,
    '',
    '| part | what | kernels | ms | share of step | top ops (ms) | written (MiB) | arena in use, max while it runs (MiB) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** The marker comments of a preset's generated block in docs/engine.md. */
export function profileMarkers(preset: string): { begin: string; end: string } {
  return {
    begin: `<!-- step-profile:${preset}:begin (generated by packages/train/bench/step-profile.bench.ts) -->\n`,
    end: `<!-- step-profile:${preset}:end -->`,
  };
}

/** The text of a preset's generated block (between its markers), or undefined when the doc has none. */
export function profileBlock(doc: string, preset: string): string | undefined {
  const { begin, end } = profileMarkers(preset);
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end, from);
  return from < 0 || to < 0 ? undefined : doc.slice(from + begin.length, to);
}

/** `doc` with a preset's block replaced by `markdown`; the prose around it is kept. */
export function replaceProfileBlock(doc: string, preset: string, markdown: string): string {
  const { begin, end } = profileMarkers(preset);
  const from = doc.indexOf(begin);
  const to = doc.indexOf(end, from);
  if (from < 0 || to < 0) throw new McscError('docs/engine.md', `no '${begin.trim()}' … '${end}' block to fill`);
  return doc.slice(0, from + begin.length) + markdown + doc.slice(to);
}

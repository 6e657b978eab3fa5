/**
 * The step profile (bench/step-profile.bench.ts): every node of the joint training graph is in one
 * part's scope, a profile sums per part as expected, and docs/engine.md's generated `cpu` block lists
 * the parts the graph has now (re-run the bench after renaming or adding a scope).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Graph, gradients } from '@mcsc/graph';
import { mcscGraph, mcscGraphOptions } from '../../src/trainer/mcsc-graph';
import {
  OVERHEAD_ROWS,
  PARTS,
  UNSCOPED,
  partOf,
  profileBlock,
  profileMarkdown,
  replaceProfileBlock,
  runProfiles,
  type ProfileEvent,
} from '../../bench/step-profile-table';
import { tinyConfig } from './tiny';

/** The scopes of the tiny MCSC training graph's nodes, forward and backward. */
function trainingScopes(): Set<string | undefined> {
  const g = new Graph({ training: true });
  const built = mcscGraph(mcscGraphOptions(tinyConfig(), { numClasses: 4, inChannels: 1 })).build(g);
  gradients(built.loss!, g.params);
  return new Set(g.nodes.map((n) => n.scope));
}

/** A kernel event of onnxruntime's profile. */
const kernel = (name: string, ts: number, dur: number, op: string, out = 0, inUse = 0): ProfileEvent => ({
  cat: 'Node',
  name: `${name}_kernel_time`,
  ts,
  dur,
  args: { op_name: op, output_size: String(out), mem_bytes_in_use: String(inUse), mem_arena_held: '4096' },
});

describe('step profile', () => {
  test('every node of the joint training graph, forward and backward, is in a part: the networks, the losses, a contrast scale', () => {
    expect(trainingScopes()).toEqual(
      new Set([
        'unet',
        'swin-unet',
        'losses',
        'contrast.full/projector',
        'contrast.full/loss',
        'contrast.eighth/projector',
        'contrast.eighth/loss',
      ]),
    );
  });

  test('a profile sums per run and part: kernels, µs, bytes written, arena in use, nested scopes and op types', () => {
    expect(partOf('unet/Conv_12_kernel_time')).toEqual({ part: 'unet', sub: undefined });
    expect(partOf('unet/MatMul_9/MatmulTransposeFusion/_kernel_time')).toEqual({ part: 'unet', sub: undefined });
    expect(partOf('contrast.full/projector/Conv_7_kernel_time')).toEqual({ part: 'contrast.full', sub: 'projector' });
    expect(partOf('Transpose_token_348_kernel_time')).toEqual({ part: UNSCOPED, sub: undefined });
    expect(partOf('fused contrast.full/projector/Gemm_1369_kernel_time')).toEqual({ part: 'contrast.full', sub: 'projector' });
    const events: ProfileEvent[] = [
      { cat: 'Session', name: 'session_initialization', ts: 0, dur: 50 },
      { cat: 'Session', name: 'model_run', ts: 100, dur: 100 },
      kernel('unet/Conv_1', 101, 30, 'Conv', 1000, 5000),
      kernel('unet/Relu_2', 131, 10, 'Relu', 1000, 6000),
      kernel('contrast.full/projector/Conv_3', 141, 20, 'Conv', 500, 7000),
      kernel('contrast.full/loss/MatMul_4', 161, 5, 'MatMul', 100, 6500),
      kernel('Transpose_token_1', 166, 2, 'Transpose', 10, 6000),
      { cat: 'Session', name: 'model_run', ts: 300, dur: 80 },
      kernel('unet/Conv_1', 301, 25, 'Conv', 1000, 9000),
    ];
    const [first, second] = runProfiles(events);
    expect(first).toEqual({
      modelRunUs: 100,
      kernelUs: 67,
      maxInUse: 7000,
      arenaHeld: 4096,
      parts: {
        unet: { kernels: 2, us: 40, outBytes: 2000, maxInUse: 6000, ops: { Conv: 30, Relu: 10 }, sub: {} },
        'contrast.full': {
          kernels: 2,
          us: 25,
          outBytes: 600,
          maxInUse: 7000,
          ops: { Conv: 20, MatMul: 5 },
          sub: { projector: { us: 20, kernels: 1 }, loss: { us: 5, kernels: 1 } },
        },
        [UNSCOPED]: { kernels: 1, us: 2, outBytes: 10, maxInUse: 6000, ops: { Transpose: 2 }, sub: {} },
      },
    });
    expect(second!.parts.unet!.us).toBe(25);
    // Warm-up: the first run; one measured step of 1 ms whose run call took 0.5 ms.
    const md = profileMarkdown(
      { preset: 'test', description: 'made up', conditions: 'today' },
      { stepMs: [5, 1], runMs: [4, 0.5], runs: [first!, second!], warmup: 1 },
      { stepMs: [4, 0.9], warmup: 1, peakRss: 2 ** 30 },
    );
    const cells = (label: string) =>
      md
        .split('\n')
        .find((l) => l.startsWith(`| ${label} |`))
        ?.split('|')
        .slice(1, -1)
        .map((c) => c.trim());
    expect(cells('unet')?.slice(2, 5)).toEqual(['1', '0', '2.5 %']); // the measured run: one kernel, 0.025 ms of a 1 ms step
    expect(cells(OVERHEAD_ROWS.ortOutside)?.[3]).toBe('0'); // 80 − 25 µs
    expect(cells(OVERHEAD_ROWS.runCall)?.[3]).toBe('0'); // 0.5 − 0.08 ms
    expect(cells(OVERHEAD_ROWS.js)?.[3]).toBe('1'); // 1 − 0.5 ms, rounded
    expect(md).toContain('peak RSS 1,024');
    expect(md).toContain('Medians of 1 steps after 1 warm-up steps');
  });

  test("docs/engine.md: the generated cpu block's rows are the parts of the graph now", () => {
    const doc = readFileSync(join(__dirname, '../../../../docs/engine.md'), 'utf8');
    const block = profileBlock(doc, 'cpu');
    expect(block).toBeDefined();
    const labels = block!
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| part |') && !l.startsWith('| ---'))
      .map((l) => l.split(' | ')[0]!.slice(2));
    const scopes = [...trainingScopes()].filter((s): s is string => s !== undefined);
    const expected = [...PARTS, UNSCOPED].flatMap((part) => [
      ...(part === 'optimizer' || part === UNSCOPED || scopes.includes(part) || scopes.some((s) => s.startsWith(`${part}/`)) ? [part] : []),
      ...scopes
        .filter((s) => s.startsWith(`${part}/`))
        .sort()
        .map((s) => `↳ ${s}`),
    ]);
    expect(labels).toEqual([
      ...expected,
      ...Object.values(OVERHEAD_ROWS),
      '**step, profiled**',
      'step, profiler off',
      'step, profiler off, alone',
    ]);
    expect(replaceProfileBlock(doc, 'cpu', block!)).toBe(doc);
  });
});

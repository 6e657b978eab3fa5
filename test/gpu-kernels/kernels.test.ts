/**
 * GPU-ready graphs (docs/gpu.md): every operator of the emitted inference and training graphs, with its
 * opset and element types, is checked against onnxruntime's CUDA and WebGPU kernel tables pinned in this
 * folder, so a graph cannot silently gain an op that falls back to the CPU. An op without a kernel must be
 * in gpu-support.ts's ALLOWED, with the reason. Graph construction only: nothing runs on onnxruntime.
 */
import { existsSync, readFileSync } from 'node:fs';
import { OPSET } from '../../packages/graph/src/onnx/emit';
import { ONNX_ELEMENT_TYPE, type OperatorUse } from '../../packages/graph/src/onnx/operator-list';
import { checkedGraphs, emitTrainingStep, sessionTrainingModel } from './graphs';
import {
  ALLOWED,
  graphOperators,
  loadCudaTable,
  loadWebGpuTable,
  place,
  shortSignature,
  type Allowance,
  type GraphOperators,
  type Provider,
} from './gpu-support';
import { checkCuda, checkWebGpu } from './kernel-tables';
import { CUDA_EXCERPT, cudaTableFromExcerpt, installedWebGpuDoc, ONNXRUNTIME_WEB, webGpuTableFromDoc } from './pin-kernel-tables';
import { currentTable, docTable, GPU_DOC } from './write-gpu-doc';

const tables = { cuda: loadCudaTable(), webgpu: loadWebGpuTable() };
const providers: readonly Provider[] = ['cuda', 'webgpu'];

let graphs: GraphOperators[] | undefined;
const allGraphs = () => (graphs ??= checkedGraphs().map(graphOperators));

const use = (op: string, inputs: (string | null)[], outputs: string[]): OperatorUse =>
  ({ op, domain: 'ai.onnx', opset: OPSET, inputs, outputs, count: 1 }) as OperatorUse;

describe('pinned kernel tables', () => {
  test('cuda-kernels.json is what pin-kernel-tables.ts makes of cuda-kernels.excerpt.md', () => {
    expect(tables.cuda).toEqual(cudaTableFromExcerpt(readFileSync(CUDA_EXCERPT, 'utf8')));
  });

  test('webgpu-kernels.json is the docs/webgpu-operators.md of the installed onnxruntime-web', () => {
    if (!existsSync(ONNXRUNTIME_WEB)) return; // a checkout without @mcsc/graph's devDependencies: the pinned JSON stands alone
    const web = installedWebGpuDoc();
    expect(tables.webgpu).toEqual(webGpuTableFromDoc(web.markdown, web.version));
  });

  test('the checker reads the table as onnxruntime does: opset range, type constraints by position, fixed types, one type per constraint', () => {
    expect(checkCuda(tables.cuda, use('Conv', ['float', 'float', 'float'], ['float'])).ok).toBe(true);
    expect(checkCuda(tables.cuda, use('Conv', ['int64', 'int64'], ['int64'])).reason).toMatch(/excludes int64/);
    expect(checkCuda(tables.cuda, use('Equal', ['int64', 'int64'], ['bool'])).ok).toBe(true);
    expect(checkCuda(tables.cuda, use('Equal', ['float', 'int64'], ['bool'])).reason).toMatch(/T is float elsewhere, int64 here/);
    expect(checkCuda(tables.cuda, use('ArgMax', ['float'], ['int64'])).ok).toBe(true);
    expect(checkCuda(tables.cuda, use('ArgMax', ['float'], ['float'])).reason).toMatch(/must be int64/);
    expect(checkCuda(tables.cuda, use('Split', ['float', 'int64'], ['float', 'float', 'float'])).ok).toBe(true); // variadic outputs
    expect(checkCuda(tables.cuda, use('Pad', ['float', 'int64', null], ['float'])).ok).toBe(true); // omitted optional input
    expect(checkCuda(tables.cuda, use('MaxPool', ['float'], ['float', 'int64'])).ok).toBe(true);
    expect(checkCuda(tables.cuda, use('Gemm', ['int64', 'int64'], ['int64'])).ok).toBe(false);
    expect(checkCuda(tables.cuda, { ...use('Conv', ['float', 'float'], ['float']), opset: 99 }).ok).toBe(true); // 22+ is open-ended
    expect(checkCuda(tables.cuda, { ...use('Upsample', ['float'], ['float']) }).reason).toMatch(/no Upsample row/);
    expect(checkWebGpu(tables.webgpu, use('Softmax', ['float'], ['float'])).ok).toBe(true);
    expect(checkWebGpu(tables.webgpu, { ...use('GridSample', ['float', 'float'], ['float']) }).reason).toMatch(/opsets 16-19|\[16, 19\]/);
  });

  test('the CUDA excerpt covers every op type the graphs use', () => {
    const missing = [...new Set(allGraphs().flatMap((g) => g.uses.map((u) => u.op)))].filter((op) => !tables.cuda.ops[op]);
    // An op type new to @mcsc/graph: copy its rows from the source named in cuda-kernels.excerpt.md (or, if CUDA has
    // none, leave it out and allowlist it), then run pin-kernel-tables.ts.
    expect(missing).toEqual([]);
  });
});

describe('the checked graphs', () => {
  test('the training steps built here are the models TrainingSession compiles (same ONNX bytes)', async () => {
    const steps = checkedGraphs().filter((g) => g.session);
    expect(steps.map((g) => g.name)).toEqual(['mcsc-training-step', 'tiny-net-training-step']);
    for (const g of steps) {
      const compiled = await sessionTrainingModel(g.session!.build, g.session!.optimizer);
      expect([g.name, Buffer.from(emitTrainingStep(g)).equals(Buffer.from(compiled))]).toEqual([g.name, true]);
    }
  });

  test('the operator lists (printed: count, signature)', () => {
    const lines: string[] = [];
    for (const g of allGraphs()) {
      lines.push(`${g.name}: ${g.nodes} nodes, ${new Set(g.uses.map((u) => u.op)).size} op types, opset ${OPSET} (${g.description})`);
      for (const u of g.uses) lines.push(`  ${String(u.count).padStart(5)}  ${shortSignature(u)}`);
    }
    console.log(lines.join('\n'));
    const types = new Set(allGraphs().flatMap((g) => g.uses.flatMap((u) => [...u.inputs, ...u.outputs])));
    types.delete(null);
    expect([...types].every((t) => Object.values(ONNX_ELEMENT_TYPE).includes(t!))).toBe(true);
  });
});

describe.each(providers)('%s kernels', (provider) => {
  test('every operator of every graph has a kernel, or is allowlisted with its reason', () => {
    const failures: string[] = [];
    const allowed = new Map<Allowance, string[]>();
    for (const g of allGraphs()) {
      for (const u of g.uses) {
        const p = place(provider, u, tables);
        if (p.verdict.ok) continue;
        const line = `${g.name}: ${shortSignature(u)}, opset ${u.opset}, ${u.count}×: ${p.verdict.reason}`;
        if (p.allowance) allowed.set(p.allowance, [...(allowed.get(p.allowance) ?? []), `${g.name} ${shortSignature(u)} ${u.count}×`]);
        else failures.push(line);
      }
    }
    if (allowed.size) {
      console.log(
        `${provider}: no kernel, allowlisted\n${[...allowed].map(([a, where]) => `  ${a.op} (${a.kind}): ${a.reason}\n    ${where.join('\n    ')}`).join('\n')}`,
      );
    }
    // An entry here is an operator that would fall back to the CPU (or fail) on this provider. Change the graph, or
    // add it to ALLOWED in gpu-support.ts with the reason it is acceptable.
    expect(failures).toEqual([]);
  });

  test('every allowlist entry is still needed', () => {
    const stale = ALLOWED.filter((a) => a.provider === provider).filter(
      (a) =>
        !allGraphs().some((g) =>
          g.uses.some((u) => u.op === a.op && (a.applies?.(u) ?? true) && place(provider, u, tables).allowance === a),
        ),
    );
    expect(stale.map((a) => a.op)).toEqual([]);
  });
});

test("docs/gpu.md's operator table is current (regenerate: npx tsx --tsconfig tsconfig.json test/gpu-kernels/write-gpu-doc.ts)", () => {
  expect(docTable(readFileSync(GPU_DOC, 'utf8'))).toBe(currentTable(allGraphs()));
});

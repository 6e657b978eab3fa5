/**
 * No import cycles in packages/graph/src. A small reader of `import … from './x.js'` / `export … from`
 * statements builds the module graph (type-only imports are erased by the compiler and skipped), and a
 * depth-first search reports every cycle as a path. `npx madge --circular --extensions ts
 * packages/graph/src` agrees, with its TypeScript `skipTypeImports` option on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Relative modules a file imports at run time (not `import type`, not `{ type A, type B }`). */
export function runtimeImports(source: string): string[] {
  const out: string[] = [];
  const statement =
    /^\s*(?:import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"](\.{1,2}\/[^'"]+)['"]|^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const m of source.matchAll(statement)) {
    if (m[4]) {
      out.push(m[4]);
      continue;
    }
    const typeOnly =
      !!m[1] ||
      (/^\{[^}]*\}$/.test(m[2]!.trim()) &&
        m[2]!
          .slice(1, -1)
          .split(',')
          .every((s) => s.trim() === '' || /^type\s/.test(s.trim())));
    if (!typeOnly) out.push(m[3]!);
  }
  return out;
}

/** Cycles of a module graph as paths that start and end at the same module: one per back edge of a depth-first search, so every cyclic set of modules shows. */
export function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (m: string) => {
    state.set(m, 'open');
    stack.push(m);
    for (const next of edges.get(m) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(m, 'done');
  };
  for (const m of [...edges.keys()].sort()) if (!state.has(m)) visit(m);
  return cycles;
}

describe('import cycles', () => {
  test('the reader sees value imports and skips type-only ones', () => {
    const src = [
      "import type { Graph } from './graph.js';",
      "import { type Shape, type DType } from './tensor.js';",
      "import { add, type Operand } from './ops/elementwise.js';",
      "export { reduceSum } from './ops/broadcast.js';",
      "export type { Feeds } from './session-feeds.js';",
      "import {\n  a,\n  b,\n} from './multi.js';",
      "import './side-effect.js';",
      "import { readFileSync } from 'node:fs';",
    ].join('\n');
    expect(runtimeImports(src)).toEqual(['./ops/elementwise.js', './ops/broadcast.js', './multi.js', './side-effect.js']);
  });

  test('findCycles finds a cycle and names its modules in order', () => {
    const edges = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
    ]);
    expect(findCycles(edges)).toEqual([['a', 'b', 'c', 'a']]);
    expect(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toEqual([]);
  });

  test('packages/graph/src has none', () => {
    const edges = new Map<string, string[]>();
    for (const file of sourceFiles(SRC)) {
      const from = relative(SRC, file);
      const targets = runtimeImports(readFileSync(file, 'utf8')).map((spec) =>
        relative(SRC, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))),
      );
      edges.set(from, targets);
    }
    expect(edges.size).toBeGreaterThan(20);
    expect(edges.get('ops/reduce.ts')).toContain('ops/elementwise.ts');
    expect(findCycles(edges).map((c) => c.join(' → '))).toEqual([]);
  });
});

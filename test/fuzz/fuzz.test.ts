/**
 * The fuzz corpus (corpus.ts) against the library functions, in process: every case must fail with an
 * Error whose message is one line, names the file and says what was expected (`mayPass` mutations may
 * also load), and must leave no output file or temporary file behind. Prints the case count per
 * category. Peak memory is checked in memory.test.ts, the command line in cli.test.ts.
 */

import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McscError } from '@mcsc/graph';
import { exportedModel } from '../../packages/infer/test/helpers/models';
import { CATEGORIES, corpus, type FuzzCase, type FuzzEnv } from './corpus';

const root = mkdtempSync(join(tmpdir(), 'mcsc-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const env: FuzzEnv = { model: join(root, 'model.onnx') };
beforeAll(async () => {
  writeFileSync(env.model, await exportedModel({ arch: 'unet', size: 16, seed: 2 }));
});

const cases = corpus().filter((c) => !(c.posix && process.platform === 'win32'));
const tally = new Map<string, { cases: number; mutations: number; loaded: number }>(
  CATEGORIES.map((c) => [c, { cases: 0, mutations: 0, loaded: 0 }]),
);
for (const c of cases) {
  const t = tally.get(c.category)!;
  t.cases++;
  if (c.mayPass) t.mutations++;
}

/** Temporary files (`.name.….tmp`) anywhere under `dir`. */
function temporaries(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (/^\..*\.tmp$/.test(name)) found.push(path);
    if (lstatSync(path).isDirectory()) found.push(...temporaries(path));
  }
  return found;
}

let counter = 0;
async function check(c: FuzzCase): Promise<void> {
  const dir = join(root, `case-${String(counter++).padStart(4, '0')}`);
  mkdirSync(dir);
  const file = await c.setup(dir, env);
  let error: unknown;
  try {
    await c.run(file, dir, env);
  } catch (e) {
    error = e;
  }
  if (error === undefined) {
    if (!c.mayPass) throw new Error(`${c.category} / ${c.name}: loaded without an error; expected one matching ${c.expect}`);
    tally.get(c.category)!.loaded++;
    return;
  }
  expect(error).toBeInstanceOf(McscError);
  const message = (error as Error).message;
  expect(message).not.toContain('\n');
  expect(message).toContain(file);
  expect(message).toMatch(c.expect);
  for (const o of c.outputs ?? []) expect(existsSync(join(dir, o))).toBe(false);
  expect(temporaries(dir)).toEqual([]);
}

describe.each(CATEGORIES.filter((cat) => cases.some((c) => c.category === cat)))('%s', (category) => {
  test.each(cases.filter((c) => c.category === category).map((c) => [c.name, c] as const))('%s', (_, c) => check(c));
});

afterAll(() => {
  const rows = [...tally].map(
    ([cat, t]) =>
      `  ${cat.padEnd(18)} ${String(t.cases).padStart(4)} cases (${t.mutations} seeded mutations, ${t.loaded} of them still valid and loaded)`,
  );
  const total = cases.length;
  console.log(`fuzz corpus: ${total} cases\n${rows.join('\n')}`);
});

/**
 * docs/gradients.md is what `pnpm docs:gradients` writes: both tables equal the registry's, and the rule
 * table lists every rule, @mcsc/graph's and the ones @mcsc/core registers (loaded by gradients-doc.ts),
 * each with its package.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GRADIENT_RULES, listGradientRules } from '../src/index';
import { fillGradientTables } from '../scripts/gradients-doc';

const doc = readFileSync(join(__dirname, '../../../docs/gradients.md'), 'utf8');

/** The rule rows of the doc: `| \`name\` | package | …`. */
function documentedRules(text: string): Map<string, string> {
  const rows = [...text.matchAll(/^\| `([^`]+)` \| ([^|]+) \|/gm)];
  return new Map(rows.map((m) => [m[1]!, m[2]!.trim()]));
}

/** The rules @mcsc/core registers (packages/core/src/graph/supcon.ts, fused-gradient.ts). */
const CORE_RULES = [
  'Exp.inMaskedExp',
  'Exp.recomputedSimilarity',
  'MatMul.symmetricSimilarity',
  'MatMul.symmetrisedClassSums',
  'Mul.maskedExp',
  'Slice.fusedGradient',
  'Where.fusedGradient',
];

describe('docs/gradients.md', () => {
  test('prints the current tables (regenerate: pnpm docs:gradients)', () => {
    expect(fillGradientTables(doc)).toBe(doc);
  });

  test("lists every registered rule with its package, @mcsc/core's included", () => {
    const documented = documentedRules(doc);
    expect([...documented.keys()].sort()).toEqual([...GRADIENT_RULES.keys()].sort());
    expect(
      listGradientRules()
        .filter((r) => r.package === '@mcsc/core')
        .map((r) => r.name),
    ).toEqual(CORE_RULES);
    for (const name of CORE_RULES) expect(documented.get(name)).toBe('@mcsc/core');
    expect([...documented.values()].filter((p) => p !== '@mcsc/core' && p !== '@mcsc/graph')).toEqual([]);
  });

  test('a rule missing from the file is caught', () => {
    const [, row] = doc.match(/^(\| `Slice\.fusedGradient` .*\n)/m) ?? [];
    expect(row).toBeDefined();
    const missing = doc.replace(row!, '');
    expect(fillGradientTables(missing)).not.toBe(missing);
    expect(documentedRules(missing).has('Slice.fusedGradient')).toBe(false);
  });
});

/**
 * Regenerates the two tables of docs/gradients.md — the gradient rules (`listGradientRules()`) and
 * the ops without one (`NO_GRADIENT`) — between their marker comments; the prose around them is kept.
 * packages/graph/test/gradient-rules.test.ts fails when the file and the table drift apart.
 *
 *     npx tsx --tsconfig tsconfig.json packages/graph/scripts/write-gradients-doc.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gradientRulesMarkdown, noGradientMarkdown } from '../src/ops/rules.js';

const path = fileURLToPath(new URL('../../../docs/gradients.md', import.meta.url));
let text = readFileSync(path, 'utf8');
for (const [marker, table] of [
  ['gradient-rules', gradientRulesMarkdown()],
  ['no-gradient', noGradientMarkdown()],
] as const) {
  const begin = `<!-- ${marker}:begin (generated) -->\n`;
  const end = `<!-- ${marker}:end -->`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end, from);
  if (from < 0 || to < 0) throw new Error(`${path}: no '${begin.trim()}' … '${end}' block to fill`);
  text = text.slice(0, from + begin.length) + table + text.slice(to);
}
writeFileSync(path, text);
console.log(`wrote ${path}`);

/**
 * The generated tables of docs/gradients.md: every gradient rule in the registry (`listGradientRules()`),
 * @mcsc/graph's own and those @mcsc/core registers when it loads, and the ops without one
 * (`NO_GRADIENT`). `fillGradientTables` rewrites the text between the marker comments and keeps the
 * prose; write-gradients-doc.ts writes the file and packages/graph/test/gradients-doc.test.ts fails
 * when file and registry drift apart.
 */
import '@mcsc/core'; // registers core's rules (contrastive loss, fused gradient) in the one table
import { McscError, gradientRulesMarkdown, noGradientMarkdown } from '@mcsc/graph';

/** `text` (docs/gradients.md) with both generated tables replaced by the current ones. */
export function fillGradientTables(text: string, where = 'docs/gradients.md'): string {
  for (const [marker, table] of [
    ['gradient-rules', gradientRulesMarkdown()],
    ['no-gradient', noGradientMarkdown()],
  ] as const) {
    const begin = `<!-- ${marker}:begin (generated) -->\n`;
    const end = `<!-- ${marker}:end -->`;
    const from = text.indexOf(begin);
    const to = text.indexOf(end, from);
    if (from < 0 || to < 0) throw new McscError(where, `no '${begin.trim()}' … '${end}' block to fill`);
    text = text.slice(0, from + begin.length) + table + text.slice(to);
  }
  return text;
}

/**
 * The one table of gradient rules. Each rule is written next to its op's forward function (as in
 * micrograd) and listed here (as tinygrad's one table), so `listGradientRules()` and docs/gradients.md
 * show every derivative the library knows. Autodiff accepts a named rule only if it is in this
 * table, so a rule left out fails loudly, naming the op, the first time a gradient flows through it.
 */
import type { GradientRule, InputGradients, Node } from '../graph.js';
import type { Tensor } from '../tensor.js';
import { AFTER_RULES } from './after.js';
import { BROADCAST_RULES } from './broadcast.js';
import { CONV_RULES } from './conv.js';
import { ELEMENTWISE_RULES } from './elementwise.js';
import { INDEXING_RULES } from './indexing.js';
import { LOGIC_RULES } from './logic.js';
import { MATMUL_RULES } from './matmul.js';
import { MLP_RULES } from './mlp.js';
import { NORM_RULES } from './norm.js';
import { POOL_RULES } from './pool.js';
import { REDUCE_RULES } from './reduce.js';
import { RESIZE_RULES } from './resize.js';
import { SHAPE_RULES } from './shape.js';
import { SOFTMAX_RULES } from './softmax.js';
import { McscError } from '../errors.js';

const rules = new Map<string, GradientRule<unknown>>();

/** Add rules defined outside this package (e.g. a custom loss); a name already taken is an error. */
export function registerGradientRules(...added: GradientRule<never>[]): void {
  for (const rule of added as GradientRule<unknown>[]) {
    const taken = rules.get(rule.name);
    if (taken && taken !== rule)
      throw new McscError('registerGradientRules', `a gradient rule named '${rule.name}' (op ${taken.op}) is already registered`);
    rules.set(rule.name, rule);
  }
}

/** The rules of @mcsc/graph itself, written beside their ops in ops/*.ts. */
const OWN_RULES: readonly GradientRule<never>[] = [
  ...ELEMENTWISE_RULES,
  ...BROADCAST_RULES,
  ...REDUCE_RULES,
  ...SHAPE_RULES,
  ...LOGIC_RULES,
  ...INDEXING_RULES,
  ...MATMUL_RULES,
  ...SOFTMAX_RULES,
  ...CONV_RULES,
  ...POOL_RULES,
  ...NORM_RULES,
  ...RESIZE_RULES,
  ...MLP_RULES,
  ...AFTER_RULES,
];
registerGradientRules(...OWN_RULES);
const own = new Set<GradientRule<never>>(OWN_RULES);

/** Where a rule comes from: @mcsc/graph for its own, else the `package` the rule names. */
function packageOf(rule: GradientRule<unknown>): string {
  return own.has(rule) ? '@mcsc/graph' : (rule.package ?? '(no package named)');
}

/** Every gradient rule, keyed by rule name (the ONNX op, or `Op.variant`). */
export const GRADIENT_RULES: ReadonlyMap<string, GradientRule<unknown>> = rules;

/** The ops the library emits without a gradient rule, and why. Differentiating through one is an error. */
export const NO_GRADIENT: ReadonlyMap<string, string> = new Map([
  ['ArgMax', 'integer output'],
  ['Equal', 'bool output'],
  ['Less', 'bool output'],
  ['Greater', 'bool output'],
  ['Cast', 'changes the dtype (a cast to the same dtype is no node); float → int64/bool is piecewise constant'],
  ['OneHot', 'integer input, constant output'],
  ['Sign', 'zero almost everywhere; built inside gradient rules'],
  ['ScatterND', 'built inside gradient rules (Gather)'],
  ['ScatterElements', 'built inside gradient rules (MaxPool)'],
]);

export interface GradientRuleInfo {
  name: string;
  op: string;
  grads: readonly string[];
  formula: string;
  /** The package that defines the rule: '@mcsc/graph', or the `package` a registered rule names. */
  package: string;
}

/**
 * Every registered rule: its name, ONNX op, the inputs it differentiates, its formula and package, by
 * op then name. Rules of other packages are listed once those packages are loaded (@mcsc/core
 * registers its own when imported).
 */
export function listGradientRules(): GradientRuleInfo[] {
  return [...rules.values()]
    .map((rule) => ({ name: rule.name, op: rule.op, grads: rule.grads, formula: rule.formula, package: packageOf(rule) }))
    .sort((a, b) => a.op.localeCompare(b.op) || a.name.localeCompare(b.name));
}

/** The rules as the Markdown table of docs/gradients.md. */
export function gradientRulesMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = listGradientRules().map((r) => `| \`${r.name}\` | ${r.package} | ${r.op} | ${r.grads.join(', ')} | ${cell(r.formula)} |`);
  return `${['| rule | package | ONNX op | gradient for | formula |', '| --- | --- | --- | --- | --- |', ...rows].join('\n')}\n`;
}

/** The ops without a gradient as the second table of docs/gradients.md. */
export function noGradientMarkdown(): string {
  const rows = [...NO_GRADIENT].map(([op, why]) => `| ${op} | ${why} |`);
  return `${['| ONNX op without a gradient | why |', '| --- | --- |', ...rows].join('\n')}\n`;
}

/**
 * Run a node's gradient rule (autodiff's one entry here). A named rule must be the registered one
 * for its name and op; an unnamed closure (`CustomGradient`, from outside this package) is run as is.
 */
export function backwardOf(node: Node, gradOutputs: Tensor[]): InputGradients {
  const gradient = node.gradient;
  if (!gradient) throw new McscError('gradients', `${node.op} has no gradient rule`);
  if (typeof gradient === 'function') return gradient(gradOutputs, node);
  const { rule, ctx } = gradient;
  if (rules.get(rule.name) !== rule || rule.op !== node.op) {
    throw new McscError(
      'gradients',
      `${node.op} uses the gradient rule '${rule.name}' (op ${rule.op}), which is not the one registered under that name: ` +
        `list it in packages/graph/src/ops/rules.ts, or call registerGradientRules`,
    );
  }
  return rule.backward(gradOutputs, ctx, node);
}

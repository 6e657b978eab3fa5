/**
 * Error construction of @mcsc/core: the project's one error type and style (`McscError`, `invalidValue`
 * from @mcsc/graph: `<function>: <field> <expectation>, got <value>`), plus zod options parsing in it.
 */
import { formatValue, invalidValue, McscError, valueAt } from '@mcsc/graph';
import type { z } from 'zod';

export { formatValue, invalidValue, McscError };

/**
 * Validates an options object with a zod schema; on failure throws an McscError naming the function,
 * each offending field (dotted path), the value found there and zod's description of what was expected.
 */
export function parseOptions<S extends z.ZodType>(fn: string, schema: S, options: unknown): z.output<S> {
  const result = schema.safeParse(options ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String);
    const field = path.length > 0 ? `options.${path.join('.')}` : 'options';
    return `${field}: ${issue.message}, got ${formatValue(valueAt(options, path))}`;
  });
  throw new McscError(fn, `invalid options: ${problems.join('; ')}`, { problems });
}

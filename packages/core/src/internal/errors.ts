/**
 * Error construction shared by every public entry point of @mcsc/core.
 *
 * Every message has the same form: `<function>: <field> <expectation>, got <value>`, so a failing call
 * says which function rejected which argument, what it wanted and what it received.
 */
import type { z } from 'zod';

/** Renders a value for an error message: arrays and shapes as `[a, b]`, strings quoted, objects as JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = Array.from(value as ArrayLike<unknown>);
    const shown = items.slice(0, 8).map(formatValue).join(', ');
    return `[${shown}${items.length > 8 ? `, … (${items.length} items)` : ''}]`;
  }
  if (value !== null && typeof value === 'object') {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/** A RangeError of the form `fn: field expectation, got value`. */
export function rangeError(fn: string, field: string, expectation: string, value: unknown): RangeError {
  return new RangeError(`${fn}: ${field} ${expectation}, got ${formatValue(value)}`);
}

/** A TypeError of the form `fn: field expectation, got value`. */
export function typeError(fn: string, field: string, expectation: string, value: unknown): TypeError {
  return new TypeError(`${fn}: ${field} ${expectation}, got ${formatValue(value)}`);
}

/**
 * Validates an options object with a zod schema; on failure throws a TypeError naming the function,
 * each offending field (dotted path), the value found there and zod's description of what was expected.
 */
export function parseOptions<S extends z.ZodType>(fn: string, schema: S, options: unknown): z.output<S> {
  const result = schema.safeParse(options ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.map(String);
    const field = path.length > 0 ? `options.${path.join('.')}` : 'options';
    const value = lookup(options, path);
    return `${field}: ${issue.message}, got ${formatValue(value)}`;
  });
  return throwTypeError(`${fn}: invalid options: ${lines.join('; ')}`);
}

function throwTypeError(message: string): never {
  throw new TypeError(message);
}

function lookup(root: unknown, path: readonly string[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

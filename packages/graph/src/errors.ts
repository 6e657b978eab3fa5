/**
 * The one error type of every @mcsc package, and the one message style.
 *
 * A message always reads `<where>: <what was wrong>`, where `<where>` is what the user looks at first — a
 * file path, `model ${path}`, a function (`supCon`), a flag (`--labeled`) — and the rest names the field,
 * what was expected and what was found: `zoom: size must be two positive integers, got [0, 4]`. Messages
 * are one line (a config's list of problems is the one exception: {@link McscError.problems}).
 *
 * Errors from below (the file system, onnxruntime, zod) are caught where they cross a public function
 * and re-thrown as an McscError with the original as `cause`, so callers can rely on `instanceof
 * McscError` and on the message naming the file.
 */

/** Marks McscErrors across copies of this module (an ESM and a CJS build in one process). */
const BRAND = Symbol.for('@mcsc/graph.McscError');

export class McscError extends Error {
  override name = 'McscError';
  /** The file, function, flag or field the error is about: the message's prefix. */
  readonly where: string;
  /** The message after `where: `. */
  readonly problem: string;
  /** The single problems, when there are several (a config with three wrong fields). */
  readonly problems: readonly string[];

  constructor(where: string, problem: string, options: { cause?: unknown; problems?: readonly string[] } = {}) {
    super(`${where}: ${problem}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.where = where;
    this.problem = problem;
    this.problems = options.problems ?? [problem];
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * `instanceof McscError` holds for an McscError made by another copy of @mcsc/graph too (the dual
   * package hazard: `import` and `require` of one package give two classes). Subclasses keep the
   * ordinary prototype test.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` asks about (a subclass, or McscError)
    if (this !== McscError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** `where: field expectation, got value` — one rejected value, e.g. `invalidValue('zoom', 'size', 'must be two positive integers', [0, 4])`. */
export function invalidValue(where: string, field: string, expectation: string, value: unknown): McscError {
  return new McscError(where, `${field} ${expectation}, got ${formatValue(value)}`);
}

/** Re-throws a lower-level failure (fs, onnxruntime, a parser) as an McscError about `where`, keeping it as the cause. */
export function failedTo(where: string, action: string, cause: unknown): McscError {
  return new McscError(where, `${action}: ${messageOf(cause)}`, { cause });
}

/** The first line of an error's message (or the thrown value as text): what goes after `cannot read:`. */
export function messageOf(error: unknown): string {
  // Duck-typed, not `instanceof Error`: errors from another realm (a vm context, a worker) count too.
  const message = (error as { message?: unknown } | null)?.message;
  const text = typeof message === 'string' ? message : String(error);
  return (text.split('\n', 1)[0] ?? '').trim();
}

/** Renders a value for a message: arrays and typed arrays as `[a, b]` (at most 8 items), strings quoted, objects as JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = Array.from(value as ArrayLike<unknown>);
    const shown = items.slice(0, 8).map(formatValue).join(', ');
    return `[${shown}${items.length > 8 ? `, … (${items.length} items)` : ''}]`;
  }
  if (value !== null && typeof value === 'object') {
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/** The value at a path of a parsed document (undefined where the path leaves it): what a schema error's `got` shows. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

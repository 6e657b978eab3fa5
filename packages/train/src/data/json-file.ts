/**
 * The one JSON reader for configuration files (model configs, NIfTI data-set configs, trainer configs):
 * a regular file of bounded size, valid UTF-8, nesting no deeper than a limit (checked on the text
 * before parsing, so nothing recursive ever sees a deep value), and no key that could reach an
 * object's prototype (`__proto__`, `constructor`, `prototype`) — `JSON.parse` keeps `"__proto__"` as an
 * own key, which `Object.assign` or a spread into a plain object would then turn into a prototype.
 * Every error is one line: `${what} ${path}: …`.
 */
import { readRegularFileSync, McscError } from '@mcsc/graph/node';

/** Limits of {@link readJsonFile} / {@link parseJsonText}; docs/limits.md states the defaults. */
export interface JsonLimits {
  /** Largest file, in bytes (default 16 MiB). */
  readonly maxBytes?: number;
  /** Deepest nesting of arrays and objects (default 64). */
  readonly maxDepth?: number;
}

export const JSON_DEFAULT_LIMITS: Required<JsonLimits> = Object.freeze({ maxBytes: 16 * 1024 * 1024, maxDepth: 64 });

/** Keys refused anywhere in a document. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Reads and parses a JSON file. `what` names the kind of file in errors (`model config`,
 * `NIfTI dataset config`, …). Synchronous: configuration files are small, and callers that validate
 * a config synchronously can use it as they are.
 */
export function readJsonFile(path: string, what: string, limits: JsonLimits = {}): unknown {
  const where = `${what} ${path}`;
  const bytes = readRegularFileSync(path, where, limits.maxBytes ?? JSON_DEFAULT_LIMITS.maxBytes, 'a regular JSON file');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new McscError(where, 'cannot read: not valid UTF-8 text');
  }
  return parseJsonText(text, where, limits);
}

/** Parses JSON text under the same rules; `where` prefixes errors (e.g. `model config m.json`). */
export function parseJsonText(text: string, where: string, limits: JsonLimits = {}): unknown {
  const maxDepth = limits.maxDepth ?? JSON_DEFAULT_LIMITS.maxDepth;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  checkDepth(body, where, maxDepth);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    throw new McscError(where, `invalid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  checkKeys(value, where, []);
  return value;
}

/** Nesting depth of `[` / `{` outside strings; throws with the line and column where it exceeds `max`. */
function checkDepth(text: string, where: string, max: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        const before = text.slice(0, i);
        const line = before.split('\n').length;
        const column = i - before.lastIndexOf('\n');
        throw new McscError(
          where,
          `JSON nested deeper than ${max} levels (line ${line}, column ${column}); expected a configuration, at most ${max} levels deep`,
        );
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}

/** Refuses prototype keys anywhere (depth is bounded by checkDepth, so recursion is safe). */
function checkKeys(value: unknown, where: string, path: readonly string[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkKeys(v, where, [...path, String(i)]));
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (PROTOTYPE_KEYS.has(k)) {
        throw new McscError(
          where,
          `key "${k}"${path.length ? ` in ${path.join('.')}` : ''} is not allowed (it would reach an object's prototype)`,
        );
      }
      checkKeys(v, where, [...path, k]);
    }
  }
}

/** Whether a parsed JSON value is an object (not null, not an array). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

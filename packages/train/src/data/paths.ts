/**
 * Paths named by data files (list entries, data-set configs) stay inside their data folder: a name is
 * resolved against the folder, and both the resolved path and, when it exists, its real path (symlinks
 * followed) must lie inside the folder's own real path. `allowOutsideRoot` lifts the rule for callers
 * that mean it.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { McscError } from '@mcsc/graph';

export interface RootOptions {
  /** Let names resolve outside the data folder (absolute paths, `..`, symlinks out). Default false. */
  readonly allowOutsideRoot?: boolean;
}

/** True when `path` is `root` itself or below it (both absolute). */
export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * `name` resolved against `root`, refused if it leaves `root` by its spelling or through a symlink.
 * `where` describes the name in errors (`list file a.list: entry "x"` → `… resolves to …, outside the
 * data folder …`). A path that does not exist passes the symlink check (reading it then fails).
 */
export async function resolveInside(root: string, name: string, where: string, what: string, options: RootOptions = {}): Promise<string> {
  const absRoot = resolve(root);
  const path = resolve(absRoot, name);
  if (name.includes('\0')) throw new McscError(where, `${what} contains a NUL character, expected a file name`);
  if (options.allowOutsideRoot) return path;
  const hint = 'expected a path inside the data folder (allowOutsideRoot lifts this)';
  if (!isInside(path, absRoot)) throw new McscError(where, `${what} resolves to ${path}, outside the data folder ${absRoot}; ${hint}`);
  const real = await realpath(path).catch(() => undefined);
  if (real !== undefined) {
    const realRoot = await realpath(absRoot).catch(() => absRoot);
    if (!isInside(real, realRoot))
      throw new McscError(where, `${what} is a symlink to ${real}, outside the data folder ${realRoot}; ${hint}`);
  }
  return path;
}

/** Atomic file writes: a temporary file in the target's folder, renamed over the target when complete. */
import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `bytes` to `path` so that readers see the old file or the whole new one, never a part.
 * @param what how errors name the file (default: its path).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, what = path): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, bytes, { flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new Error(`${what}: cannot write: ${(e as Error).message}`);
  }
}

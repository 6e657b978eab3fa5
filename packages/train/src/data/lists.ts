/** Plain-text case lists (SSL4MIS `*.list`, TransUNet `lists/*.txt`). */
import { readFile } from 'node:fs/promises';

/** The non-empty lines of a list file, trimmed. */
export async function readList(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch((e: unknown) => {
    throw new Error(`list file ${path}: cannot read: ${(e as Error).message}`);
  });
  const names = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (names.length === 0) throw new Error(`list file ${path}: is empty, expected one name a line`);
  return names;
}

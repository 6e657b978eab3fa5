/** Plain-text case lists (SSL4MIS `*.list`, TransUNet `lists/*.txt`). */
import { readRegularFile, McscError } from '@mcsc/graph/node';

/** Largest list file read (docs/limits.md). */
export const LIST_MAX_BYTES = 64 * 1024 * 1024;

/** The non-empty lines of a list file, trimmed. */
export async function readList(path: string): Promise<string[]> {
  const where = `list file ${path}`;
  const bytes = await readRegularFile(path, where, LIST_MAX_BYTES, 'a text file, one name a line');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new McscError(where, 'cannot read: not valid UTF-8 text');
  }
  const names = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (names.length === 0) throw new McscError(where, 'is empty, expected one name a line');
  const bad = names.find((n) => n.includes('\0'));
  if (bad !== undefined) throw new McscError(where, `entry ${JSON.stringify(bad)} contains a NUL character, expected a file name`);
  return names;
}

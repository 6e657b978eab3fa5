/**
 * Reading input files whole, safely: only regular files (a FIFO would block `open` forever and a device
 * such as /dev/zero never ends — both are refused before they are opened), and only up to a stated size.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { failedTo, McscError } from './errors.js';

/** `open` flags: read-only, and non-blocking so that a path swapped for a FIFO cannot hang the open. */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a non-regular file is, in words (undefined for a regular file). */
export function fileKind(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  return st.isFIFO()
    ? 'a FIFO (named pipe)'
    : st.isCharacterDevice()
      ? 'a character device'
      : st.isBlockDevice()
        ? 'a block device'
        : st.isDirectory()
          ? 'a directory'
          : st.isSocket()
            ? 'a socket'
            : 'not a regular file';
}

function check(st: Stats, maxBytes: number, expected: string, where: string): void {
  const kind = fileKind(st);
  if (kind) throw new McscError(where, `cannot read: it is ${kind}, expected ${expected}`);
  if (st.size > maxBytes)
    throw new McscError(where, `cannot read: ${st.size} bytes is more than the limit of ${maxBytes} bytes (see docs/limits.md)`);
}

/**
 * The bytes of a regular file of at most `maxBytes`. Errors read `${where}: cannot read: …`;
 * `expected` says what the file should be (`a regular file`, `a .npz archive`, …).
 */
export async function readRegularFile(path: string, where: string, maxBytes: number, expected = 'a regular file'): Promise<Uint8Array> {
  try {
    check(await stat(path), maxBytes, expected, where);
    const handle = await open(path, READ_FLAGS);
    try {
      const st = await handle.stat();
      check(st, maxBytes, expected, where);
      const out = new Uint8Array(st.size);
      let at = 0;
      while (at < out.length) {
        const { bytesRead } = await handle.read(out, at, out.length - at, at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      return at === out.length ? out : out.subarray(0, at);
    } finally {
      await handle.close();
    }
  } catch (e) {
    if (e instanceof McscError) throw e;
    throw failedTo(where, 'cannot read', e);
  }
}

/** {@link readRegularFile}, synchronously. */
export function readRegularFileSync(path: string, where: string, maxBytes: number, expected = 'a regular file'): Uint8Array {
  return withRegularFileSync(path, where, maxBytes, expected, (size, read) => read(0, size));
}

/**
 * Opens a regular file (the checks of {@link readRegularFileSync}) and hands `use` its size and a
 * reader of byte ranges, so that a caller reads only what it needs (a header); closes it after.
 * `read(at, length)` returns fewer bytes only where the file ends early.
 */
export function withRegularFileSync<T>(
  path: string,
  where: string,
  maxBytes: number,
  expected: string,
  use: (size: number, read: (at: number, length: number) => Uint8Array) => T,
): T {
  let fd: number | undefined;
  try {
    check(statSync(path), maxBytes, expected, where);
    fd = openSync(path, READ_FLAGS);
    const st = fstatSync(fd);
    check(st, maxBytes, expected, where);
    const opened = fd;
    return use(st.size, (at, length) => {
      const out = new Uint8Array(Math.max(0, Math.min(length, st.size - at)));
      let done = 0;
      while (done < out.length) {
        const n = readSync(opened, out, done, out.length - done, at + done);
        if (n === 0) break;
        done += n;
      }
      return done === out.length ? out : out.subarray(0, done);
    });
  } catch (e) {
    if (e instanceof McscError) throw e;
    throw failedTo(where, 'cannot read', e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

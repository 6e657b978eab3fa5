/** NIfTI-1 files on disk: read `.nii` / `.nii.gz`, and write them atomically (see `../nifti.ts` for the format). */
import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import {
  encodeNifti,
  inspectNiftiHeader,
  parseNiftiBytes,
  type NiftiData,
  type NiftiLimits,
  type NiftiVolume,
  type NiftiWriteOptions,
} from '../nifti.js';
import { isGzip } from '../gzip.js';
import { failedTo, fileKind, writeFileAtomic, McscError } from '@mcsc/graph/node';

export * from '../nifti.js';

/** Largest `.nii.gz` file read (compressed bytes): 2 GiB. */
export const NIFTI_MAX_GZIP_FILE_BYTES = 2 ** 31;

/**
 * Reads a `.nii` or `.nii.gz` file (gzip is detected from its bytes, not its name). Only regular files
 * are read (a FIFO, device or directory is refused before it is opened, so `/dev/zero` or a pipe cannot
 * hang or flood it). For `.nii`, the header is validated against the file's size before the voxels are
 * read, and only the bytes it declares are read; `.nii.gz` is read whole (at most
 * {@link NIFTI_MAX_GZIP_FILE_BYTES}) and inflated under the limits of `parseNifti`.
 */
export async function readNifti(path: string, limits: NiftiLimits = {}): Promise<NiftiVolume> {
  const where = `NIfTI file ${path}`;
  const cannot = (e: unknown) => failedTo(where, 'cannot read', e);
  checkRegular(
    await stat(path).catch((e: unknown) => {
      throw cannot(e);
    }),
    where,
  );
  // O_NONBLOCK: should the path turn into a FIFO after the check, open() still returns at once.
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)).catch((e: unknown) => {
    throw cannot(e);
  });
  try {
    const { size } = checkRegular(await handle.stat(), where);
    const head = await readRange(handle, 0, Math.min(size, 352), where);
    if (isGzip(head)) {
      if (size > NIFTI_MAX_GZIP_FILE_BYTES) {
        throw new McscError(
          where,
          `${size} bytes of gzip is more than the limit of ${NIFTI_MAX_GZIP_FILE_BYTES} bytes (see docs/limits.md)`,
        );
      }
      return parseNiftiBytes(await readRange(handle, 0, size, where), path, limits, true);
    }
    // Validates the header (and its claims against `size`) before reading the voxels.
    const { end } = inspectNiftiHeader(head, path, limits, size);
    return parseNiftiBytes(await readRange(handle, 0, end, where), path, limits, true);
  } finally {
    await handle.close();
  }
}

/**
 * Writes a NIfTI-1 file (`.nii.gz`: gzipped) atomically: the bytes go to a temporary file in the same
 * directory, which is then renamed over `path`; on any error the temporary file is removed and `path`
 * is left as it was.
 */
export async function writeNifti(path: string, data: NiftiData, options: NiftiWriteOptions): Promise<void> {
  const bytes = encodeNifti(data, options, path.endsWith('.gz'), `NIfTI file ${path}`);
  writeFileAtomic(path, bytes, `NIfTI file ${path}`);
}

function checkRegular(st: Stats, where: string): Stats {
  const kind = fileKind(st);
  if (kind) throw new McscError(where, `cannot read: it is ${kind}; expected a regular .nii or .nii.gz file`);
  return st;
}

/** Exactly `length` bytes from `position`, in one buffer (files over 2 GiB included). */
async function readRange(handle: FileHandle, position: number, length: number, where: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const step = 1 << 26;
  for (let at = 0; at < length; ) {
    const { bytesRead } = await handle.read(out, at, Math.min(step, length - at), position + at);
    if (bytesRead === 0) throw new McscError(where, `cannot read: the file ended after ${at} of ${length} bytes (changed while reading?)`);
    at += bytesRead;
  }
  return out;
}

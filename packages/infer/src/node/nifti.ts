/** NIfTI-1 files on disk: read `.nii` / `.nii.gz`, and write them atomically (see `../nifti.ts` for the format). */
import { readFile } from 'node:fs/promises';
import { encodeNifti, parseNifti, type NiftiData, type NiftiVolume, type NiftiWriteOptions } from '../nifti.js';
import { writeFileAtomic } from '@mcsc/graph/node';

export * from '../nifti.js';

/** Reads a `.nii` or `.nii.gz` file (gzip is detected from its bytes, not its name). */
export async function readNifti(path: string): Promise<NiftiVolume> {
  const bytes = await readFile(path).catch((e: unknown) => {
    throw new Error(`NIfTI file ${path}: cannot read: ${(e as Error).message}`);
  });
  return parseNifti(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
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

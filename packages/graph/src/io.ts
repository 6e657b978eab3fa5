/** Node file I/O: atomic writes (temp file in the same folder, then rename), safetensors files, session weights and state. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readRegularFileSync, withRegularFileSync } from './files.js';
import {
  decodeSafetensors,
  decodeSafetensorsHeader,
  encodeSafetensors,
  safetensorsHeaderLength,
  type DecodedSafetensors,
  type SafetensorsHeader,
} from './safetensors.js';
import type { TrainingSession } from './training-session.js';
import type { LoadWeightsOptions, LoadWeightsReport } from './session-weights.js';
import { failedTo } from './errors.js';

/**
 * Writes `data` to `path` so that readers see the old file or the whole new one, never a part; the
 * folder is created if needed. Errors name the file (or `what`).
 */
export function writeFileAtomic(path: string, data: Uint8Array | string, what = path): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, data, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw failedTo(what, 'cannot write', e);
  }
}

/** The largest weights or state file read whole (Node's Buffer limit; Swin-Tiny's state is ~330 MB). */
export const MAX_WEIGHTS_FILE_BYTES = 2 ** 32 - 1;

/** Reads and decodes a safetensors file (a regular file only: no FIFO, no device); errors name the file. */
export function readSafetensorsFile(path: string): DecodedSafetensors {
  return decodeSafetensors(readRegularFileSync(path, path, MAX_WEIGHTS_FILE_BYTES, 'a safetensors file'), path);
}

/**
 * The validated header of a safetensors file (names, dtypes, shapes, byte ranges checked against the
 * file's size), reading only the header: memory bounded by the header, not by the tensors.
 */
export function readSafetensorsHeaderFile(path: string): SafetensorsHeader {
  return withRegularFileSync(path, path, MAX_WEIGHTS_FILE_BYTES, 'a safetensors file', (size, read) => {
    const n = safetensorsHeaderLength(read(0, 8), size, path); // checked before the header is read
    return decodeSafetensorsHeader(read(0, 8 + n), size, path);
  });
}

/** Writes a session's weights (parameters and running statistics, PyTorch state_dict names) as a safetensors file. */
export function saveWeights(session: TrainingSession, path: string, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensors(session.weights(), metadata));
}

/** Loads a safetensors weights file into a session (strict by default; see `TrainingSession.loadWeights`). */
export function loadWeights(session: TrainingSession, path: string, options: Omit<LoadWeightsOptions, 'source'> = {}): LoadWeightsReport {
  return session.loadWeights(readSafetensorsFile(path).tensors, { ...options, source: path });
}

/** Writes everything needed to resume training (`TrainingSession.exportState`) to a file, atomically. */
export function saveState(session: TrainingSession, path: string, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, session.exportState(metadata));
}

/** Restores a `saveState` file; returns its metadata. */
export function loadState(session: TrainingSession, path: string): Record<string, string> {
  return session.importState(readRegularFileSync(path, path, MAX_WEIGHTS_FILE_BYTES, 'a training state file'), path);
}

/**
 * A run directory: everything a training run writes, laid out so that it can be resumed, evaluated
 * again and read by people.
 *
 *     config.json                 the resolved config (every field, after preset and overrides)
 *     log.jsonl                   one JSON record a line: {type: 'train', iteration, losses, lr, …} and {type: 'val', …}
 *     checkpoint.json             the latest resumable checkpoint: iteration, state file, trainer state
 *     checkpoints/state-<t>.safetensors   parameters, running statistics, AdamW moments, step, dropout RNG
 *     best/{cnn,trans}.safetensors        best-by-validation weights of each network (reference names)
 *     final/{cnn,trans}.safetensors       weights after the last iteration
 *     cnn.onnx, transformer.onnx          inference models (input `image` [N, 1, P, P] → `probs`), best weights
 *     report.json, report.md, report.html, loss.png, val.png, overlays/*.png
 *     run.lock                    while a trainer (or `mcsc evaluate`) writes here: its pid, host and start time
 *
 * Faults, and what each leaves (packages/train/test/faults/ tests every one):
 *
 * - Every file is written atomically (temp file + rename, `writeFileAtomic`): a failed write (a full
 *   disk) removes its temp file and names the file; the old file stays whole. A log record is appended
 *   whole or, when the append fails, cut back to the old end of the file.
 * - A checkpoint is two files, written in this order: the new state `checkpoints/state-<t>.safetensors`
 *   (re-read and decoded to verify it, then fsynced), then `checkpoint.json` pointing at it (re-read and
 *   compared), then older states are deleted. A kill at any moment leaves the previous or the new
 *   checkpoint whole; a write that fails or does not read back leaves the previous one.
 * - A torn last line of `log.jsonl` (a kill mid-append) is dropped with a message on resume; a bad line
 *   before the last is an error naming the file and line.
 * - A `checkpoint.json` or state file that does not parse is an error naming the file and saying which
 *   state file is intact, with the `checkpoint.json` that would resume from it.
 * - One writer at a time (run-lock.ts): `run.lock` is created with O_EXCL; a second trainer is refused
 *   with the owner's pid, host and start time; a lock whose pid no longer runs on this host (kill -9) is
 *   taken over with a message. Temp files left by a killed writer are removed when the lock is taken.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  failedTo,
  encodeSafetensors,
  readSafetensorsFile,
  readSafetensorsHeaderFile,
  saveState,
  writeFileAtomic,
  type NamedTensor,
  type SafetensorsHeader,
  type TrainingSession,
  McscError,
  messageOf,
} from '@mcsc/graph/node';
import { isJsonObject, parseJsonText } from '../data/json-file.js';
import { readConfigFile, resolveConfig, type TrainConfig } from './config.js';
import { NETWORK_PARAMS, type NetworkName } from './mcsc-graph.js';
import { RunLock, type LockOwner } from './run-lock.js';

export type { LockOwner } from './run-lock.js';

/** The best validation score of one network. */
export interface BestRecord {
  /** Mean foreground Dice on the validation volumes. */
  readonly dice: number;
  readonly iteration: number;
}

/** What the trainer keeps besides the session state. */
export interface TrainerState {
  /** Steps taken. */
  readonly iteration: number;
  readonly best: Readonly<Partial<Record<NetworkName, BestRecord>>>;
  /** Training seconds before this checkpoint (for the report; not part of the equivalence). */
  readonly elapsedSeconds: number;
}

export interface CheckpointFile extends TrainerState {
  readonly format: 'mcsc-checkpoint';
  /** Path of the session state, relative to the run directory. */
  readonly state: string;
}

/** One line of log.jsonl. */
export type LogRecord =
  | {
      type: 'train';
      iteration: number;
      seconds: number;
      lr: Record<string, number>;
      ctWeight: number;
      contrastSlices: number;
      losses: Record<string, number>;
    }
  | { type: 'val'; iteration: number; seconds: number; dice: Record<string, number> };

/** A state file that decodes, with the trainer state recorded in it (absent in states of older runs). */
export interface IntactState {
  /** Relative to the run directory. */
  readonly state: string;
  readonly iteration: number;
  readonly trainer?: TrainerState;
}

const STATE_FILE = /^state-(\d+)\.safetensors$/;
/** Temp files of `writeFileAtomic` (`.<name>.<pid>.<8 hex>.tmp`). */
const TEMP_FILE = /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/;

/**
 * Fault injection for the kill -9 tests (packages/train/test/faults/kill.test.ts): with
 * `MCSC_FAULT_KILL=<point>@<iteration>` in the environment the process SIGKILLs itself at that point
 * of the checkpoint protocol — `log-torn` (half a log line written), `state` (new state written, pointer
 * not yet), `pointer` (pointer written, old state not yet deleted). Unset, it does nothing.
 */
export function faultPoint(point: 'log-torn' | 'state' | 'pointer', iteration: number, before?: () => void): void {
  if (process.env.MCSC_FAULT_KILL !== `${point}@${iteration}`) return;
  before?.();
  process.kill(process.pid, 'SIGKILL');
}

export class RunDir {
  private readonly lock: RunLock;

  constructor(readonly root: string) {
    this.lock = new RunLock(root, this.lockPath);
  }

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  get configPath(): string {
    return this.path('config.json');
  }

  get logPath(): string {
    return this.path('log.jsonl');
  }

  get checkpointPath(): string {
    return this.path('checkpoint.json');
  }

  get lockPath(): string {
    return this.path('run.lock');
  }

  /**
   * Starts a new run: takes the directory's lock (refused while another trainer writes there), then
   * refuses a directory that already holds a run's checkpoint or report. The caller releases the lock
   * ({@link releaseLock}).
   */
  static create(root: string, config: TrainConfig, log: (message: string) => void = () => {}): RunDir {
    const dir = new RunDir(root);
    dir.acquireLock(log);
    try {
      if (existsSync(dir.checkpointPath) || existsSync(dir.path('report.json'))) {
        throw new McscError(
          root,
          `already holds a run (checkpoint.json or report.json); resume it with --resume ${root}, or choose another --out`,
        );
      }
      writeFileAtomic(dir.configPath, `${JSON.stringify(config, null, 2)}\n`);
      writeFileAtomic(dir.logPath, '');
    } catch (e) {
      dir.releaseLock();
      throw e;
    }
    return dir;
  }

  /**
   * A fresh run directory under `parent` for a run called `name`: `parent/name`, or, when that already
   * holds a run (or a trainer is writing there), the first free `parent/name-1`, `parent/name-2`, … (as
   * Lightning's version_N), so that running the same command twice never overwrites a run.
   */
  static freshPath(parent: string, name: string): string {
    const taken = (root: string) => ['checkpoint.json', 'report.json', 'run.lock'].some((f) => existsSync(join(root, f)));
    let root = join(parent, name);
    for (let i = 1; taken(root); i++) root = join(parent, `${name}-${i}`);
    return root;
  }

  /** Opens an existing run (to read it; take the lock before writing); its config.json is validated again. */
  static open(root: string): RunDir {
    const dir = new RunDir(root);
    if (!existsSync(dir.configPath)) throw new McscError(root, 'not a run directory (no config.json)');
    return dir;
  }

  /**
   * Takes `run.lock` ({@link RunLock}), then removes the temp files a killed writer left. Released by
   * {@link releaseLock}, and at process exit.
   */
  acquireLock(log: (message: string) => void = () => {}): void {
    if (this.lock.acquire(log)) this.removeTempFiles(log);
  }

  /** Removes `run.lock` if this object holds it. */
  releaseLock(): void {
    this.lock.release();
  }

  /** Who holds `run.lock`, or null when there is none; throws naming the file when it cannot be read. */
  readLock(): LockOwner | null {
    return this.lock.read();
  }

  /** Temp files of atomic writes that a killed writer left (this process holds the lock, so none is live). */
  private removeTempFiles(log: (message: string) => void): void {
    const removed: string[] = [];
    for (const sub of ['', 'checkpoints', 'best', 'final', 'overlays']) {
      let names: string[];
      try {
        names = readdirSync(this.path(sub));
      } catch {
        continue;
      }
      for (const name of names) {
        if (!TEMP_FILE.test(name)) continue;
        rmSync(this.path(sub, name), { force: true });
        removed.push(join(sub, name));
      }
    }
    if (removed.length)
      log(
        `${this.root}: removed ${removed.length} temp file${removed.length === 1 ? '' : 's'} left by an interrupted write (${removed.join(', ')})`,
      );
  }

  /** The run's config: config.json resolved again (from the preset it names), as every config is. */
  readConfig(): TrainConfig {
    return resolveConfig(undefined, [readConfigFile(this.configPath)], this.configPath);
  }

  /**
   * Appends one record as one line. The line is written whole or not at all: when the write fails (a
   * full disk), the file is cut back to its old end and the error names it.
   */
  appendLog(record: LogRecord): void {
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    faultPoint('log-torn', record.iteration, () => writeAll(this.logPath, line.subarray(0, line.length >> 1), 'a'));
    let fd: number | undefined;
    try {
      fd = openSync(this.logPath, 'a');
      const size = fstatSync(fd).size;
      try {
        writeAllFd(fd, line);
      } catch (e) {
        try {
          ftruncateSync(fd, size);
        } catch {
          // the error below still names the file; resume drops a torn last line
        }
        throw e;
      }
    } catch (e) {
      throw failedTo(this.logPath, 'cannot append a log record', e);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /**
   * The log's records. A last line that does not parse (torn by a kill mid-append) is dropped, and
   * `log` told; a bad line before it is an error naming the file and the line.
   */
  readLog(log?: (message: string) => void): LogRecord[] {
    if (!existsSync(this.logPath)) return [];
    const lines = readFileSync(this.logPath, 'utf8').split('\n');
    let last = lines.length - 1;
    while (last >= 0 && lines[last]!.trim() === '') last--;
    const records: LogRecord[] = [];
    for (let i = 0; i <= last; i++) {
      const line = lines[i]!;
      if (line.trim() === '') continue;
      let record: LogRecord;
      try {
        record = parseLogRecord(line);
      } catch (e) {
        const where = `${this.logPath}:${i + 1}`;
        if (i === last) {
          log?.(`${where}: dropped the torn last line (${(e as Error).message}): ${line.length > 60 ? `${line.slice(0, 57)}...` : line}`);
          break;
        }
        throw new McscError(where, `not a log record (${messageOf(e)}); only a torn last line is repaired on resume`, { cause: e });
      }
      records.push(record);
    }
    return records;
  }

  /** Drops records after `iteration` (resume: they belong to steps that will be run again) and a torn last line. */
  truncateLog(iteration: number, log?: (message: string) => void): void {
    const kept = this.readLog(log).filter((r) => r.iteration <= iteration);
    writeFileAtomic(this.logPath, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  /**
   * Writes a resumable checkpoint (see the module comment for the order of writes). On any failure the
   * previous checkpoint is kept (checkpoint.json and its state untouched) and the error names the file.
   */
  writeCheckpoint(session: Pick<TrainingSession, 'exportState'>, state: TrainerState): void {
    const t = state.iteration;
    const name = `state-${String(t).padStart(7, '0')}.safetensors`;
    const rel = join('checkpoints', name);
    const statePath = this.path(rel);
    let previous: CheckpointFile | null = null;
    try {
      previous = this.readCheckpoint();
    } catch {
      // an unreadable pointer: nothing to keep
    }
    const kept = previous
      ? `the previous checkpoint (iteration ${previous.iteration}, ${previous.state}) is kept`
      : 'there is no previous checkpoint';
    const fail = (e: unknown) => {
      if (previous?.state !== rel) rmSync(statePath, { force: true });
      return new McscError(`checkpoint at iteration ${t} not written`, `${messageOf(e)}; ${kept}`, { cause: e });
    };
    try {
      saveState(session as TrainingSession, statePath, { iteration: String(t), trainer: JSON.stringify(trainerStateOf(state)) });
      const back = this.verifyState(rel);
      if (back.iteration !== t) throw new McscError(statePath, `reads back as iteration ${back.iteration}, expected ${t}`);
      fsyncPath(statePath);
    } catch (e) {
      throw fail(e);
    }
    faultPoint('state', t);
    const file: CheckpointFile = { format: 'mcsc-checkpoint', state: rel, ...trainerStateOf(state) };
    const text = `${JSON.stringify(file, null, 2)}\n`;
    let before: string | undefined;
    try {
      before = readFileSync(this.checkpointPath, 'utf8');
    } catch {
      before = undefined;
    }
    try {
      writeFileAtomic(this.checkpointPath, text);
      if (readFileSync(this.checkpointPath, 'utf8') !== text)
        throw new McscError(this.checkpointPath, 'reads back different from what was written');
      fsyncPath(this.checkpointPath);
      fsyncPath(this.root);
    } catch (e) {
      if (before !== undefined) {
        try {
          if (readFileSync(this.checkpointPath, 'utf8') !== before) writeFileAtomic(this.checkpointPath, before);
        } catch {
          // the error below says the previous checkpoint is meant to be kept; resume checks it
        }
      }
      throw fail(e);
    }
    faultPoint('pointer', t);
    for (const old of readdirSync(this.path('checkpoints'))) {
      if (old !== name && STATE_FILE.test(old)) rmSync(this.path('checkpoints', old), { force: true });
    }
  }

  /**
   * The latest checkpoint, or null when the run has none yet. A checkpoint.json that does not parse,
   * is not a checkpoint or points at a missing state is an error naming the file and the intact state.
   */
  readCheckpoint(): CheckpointFile | null {
    if (!existsSync(this.checkpointPath)) return null;
    let value: unknown;
    try {
      value = parseJsonText(readFileSync(this.checkpointPath, 'utf8'), `checkpoint ${this.checkpointPath}`);
    } catch (e) {
      throw this.checkpointError(`checkpoint ${this.checkpointPath}`, e);
    }
    const problem = checkpointProblem(value);
    if (problem) throw this.checkpointError(`checkpoint ${this.checkpointPath}`, `not an mcsc checkpoint (${problem})`);
    const file = value as CheckpointFile;
    if (!existsSync(this.path(file.state)))
      throw this.checkpointError(`checkpoint ${this.checkpointPath}`, `its state file ${file.state} is missing`);
    return file;
  }

  /**
   * Decodes a state file (relative path) whole and returns what it records; throws naming the file when
   * it does not decode or is not a training state.
   */
  verifyState(rel: string): IntactState {
    const path = this.path(rel);
    const { metadata } = readSafetensorsFile(path);
    const iteration = Number(metadata.iteration);
    if (metadata.format !== 'mcsc-training-state' || !Number.isInteger(iteration)) {
      throw new McscError(
        path,
        `not a checkpoint state (metadata format ${JSON.stringify(metadata.format)}, iteration ${JSON.stringify(metadata.iteration)})`,
      );
    }
    let trainer: TrainerState | undefined;
    try {
      trainer = metadata.trainer ? trainerStateOf(JSON.parse(metadata.trainer) as TrainerState) : undefined;
    } catch {
      trainer = undefined;
    }
    return { state: rel, iteration, ...(trainer ? { trainer } : {}) };
  }

  /** The state files in checkpoints/ that decode, newest first (`except`: a relative path to skip). */
  intactStates(except?: string): IntactState[] {
    let names: string[];
    try {
      names = readdirSync(this.path('checkpoints'));
    } catch {
      return [];
    }
    const out: IntactState[] = [];
    for (const name of names
      .filter((n) => STATE_FILE.test(n))
      .sort()
      .reverse()) {
      const rel = join('checkpoints', name);
      if (rel === except) continue;
      try {
        out.push(this.verifyState(rel));
      } catch {
        // not intact
      }
    }
    return out;
  }

  /**
   * An error for a checkpoint that cannot be resumed: the problem (a text, or a caught error: an
   * McscError keeps its own `where`), then which state file is intact (with the checkpoint.json that
   * resumes from it), or that none is.
   */
  checkpointError(where: string, problem: unknown, except?: string): McscError {
    const [at, text] =
      problem instanceof McscError ? [problem.where, problem.problem] : [where, typeof problem === 'string' ? problem : messageOf(problem)];
    const cause = typeof problem === 'string' ? {} : { cause: problem };
    const [intact] = this.intactStates(except);
    if (!intact) return new McscError(at, `${text}; no intact state file in ${this.path('checkpoints')}`, cause);
    const what = `the state file ${intact.state} (iteration ${intact.iteration}) is intact`;
    if (!intact.trainer) return new McscError(at, `${text}; ${what}`, cause);
    const file: CheckpointFile = { format: 'mcsc-checkpoint', state: intact.state, ...intact.trainer };
    return new McscError(at, `${text}; ${what}: to resume from it, write this to ${this.checkpointPath}: ${JSON.stringify(file)}`, cause);
  }

  /** Saves one network's parameters and running statistics under single-network reference names. */
  writeNetworkWeights(
    values: ReadonlyMap<string, NamedTensor>,
    network: NetworkName,
    file: string,
    metadata: Record<string, string> = {},
  ): void {
    writeFileAtomic(this.path(file), encodeSafetensors(networkWeights(values, network), { network, ...metadata }));
  }

  /** The tensors of the latest checkpoint's session state (parameters, states, moments), by name. */
  readCheckpointTensors(checkpoint: CheckpointFile): Map<string, NamedTensor> {
    return this.readCheckpointState(checkpoint, (path) => readSafetensorsFile(path).tensors);
  }

  /** The checkpoint state's header (names, dtypes, shapes), validated, without reading the tensors. */
  readCheckpointHeader(checkpoint: CheckpointFile): SafetensorsHeader {
    return this.readCheckpointState(checkpoint, readSafetensorsHeaderFile);
  }

  /** `read` of the checkpoint's state file; a failure is a checkpoint error naming the file. */
  private readCheckpointState<T>(checkpoint: CheckpointFile, read: (path: string) => T): T {
    const path = this.path(checkpoint.state);
    try {
      return read(path);
    } catch (e) {
      throw this.checkpointError(path, e, checkpoint.state);
    }
  }
}

/** The three fields of a trainer state, nothing else. */
function trainerStateOf(s: TrainerState): TrainerState {
  return { iteration: s.iteration, best: s.best, elapsedSeconds: s.elapsedSeconds };
}

/** What is wrong with a parsed checkpoint.json, or undefined. */
function checkpointProblem(v: unknown): string | undefined {
  if (!isJsonObject(v)) return 'not an object';
  if (v.format !== 'mcsc-checkpoint') return `format ${JSON.stringify(v.format)}, expected "mcsc-checkpoint"`;
  if (!Number.isInteger(v.iteration) || (v.iteration as number) < 0)
    return `iteration ${JSON.stringify(v.iteration)}, expected a non-negative integer`;
  const state = typeof v.state === 'string' ? v.state.split(/[\\/]/) : [];
  if (state.length !== 2 || state[0] !== 'checkpoints' || !STATE_FILE.test(state[1]!))
    return `state ${JSON.stringify(v.state)}, expected "checkpoints/state-<iteration>.safetensors"`;
  if (typeof v.elapsedSeconds !== 'number' || !Number.isFinite(v.elapsedSeconds))
    return `elapsedSeconds ${JSON.stringify(v.elapsedSeconds)}, expected a number`;
  if (!isJsonObject(v.best)) return `best ${JSON.stringify(v.best)}, expected an object`;
  for (const [net, b] of Object.entries(v.best)) {
    if (!(net in NETWORK_PARAMS) || !isJsonObject(b) || typeof b.dice !== 'number' || !Number.isInteger(b.iteration))
      return `best.${net} ${JSON.stringify(b)}, expected {dice, iteration}`;
  }
  return undefined;
}

/** Parses one log line; throws with what is wrong. */
function parseLogRecord(line: string): LogRecord {
  const v = parseJsonText(line, 'log line');
  if (!isJsonObject(v) || (v.type !== 'train' && v.type !== 'val') || !Number.isInteger(v.iteration)) {
    throw new McscError('expected {"type"', '"train" | "val", "iteration": N, …}');
  }
  return v as unknown as LogRecord;
}

function writeAllFd(fd: number, data: Uint8Array): void {
  for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
}

function writeAll(path: string, data: Uint8Array, flag: string): void {
  const fd = openSync(path, flag);
  try {
    writeAllFd(fd, data);
  } finally {
    closeSync(fd);
  }
}

/** fsync a file or a directory (directories cannot be opened for it on some systems: skipped there). */
function fsyncPath(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EISDIR' || (e as NodeJS.ErrnoException).code === 'EPERM') return;
    throw e;
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR' && code !== 'ENOTSUP') throw e;
  } finally {
    closeSync(fd);
  }
}

/**
 * One network's tensors from the joint session's values, named as a single-network model names them
 * (`segmentationNet`: the head is `classifier.*`), optimizer moments excluded.
 */
export function networkWeights(values: ReadonlyMap<string, NamedTensor>, network: NetworkName): Map<string, NamedTensor> {
  const { owns, head } = NETWORK_PARAMS[network];
  const out = new Map<string, NamedTensor>();
  for (const [name, t] of values) {
    if (name.startsWith('optimizer.') || !owns(name)) continue;
    out.set(name.startsWith(head) ? `classifier.${name.slice(head.length)}` : name, t);
  }
  return out;
}

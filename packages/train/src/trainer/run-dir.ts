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
 *
 * Every file is written atomically (temp file + rename). A checkpoint is two files: the state is
 * written first under a new name, then `checkpoint.json` is replaced to point at it, then older states
 * are deleted — an interruption at any moment leaves the previous or the new checkpoint, whole.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, saveState, writeFileAtomic, type NamedTensor, type TrainingSession } from '@mcsc/graph/node';
import { readConfigFile, resolveConfig, type TrainConfig } from './config.js';
import { NETWORK_PARAMS, type NetworkName } from './mcsc-graph.js';

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
  | { type: 'train'; iteration: number; seconds: number; lr: Record<string, number>; ctWeight: number; contrastSlices: number; losses: Record<string, number> }
  | { type: 'val'; iteration: number; seconds: number; dice: Record<string, number> };

export class RunDir {
  constructor(readonly root: string) {}

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

  /** Starts a new run: refuses a directory that already holds a run's checkpoint or report. */
  static create(root: string, config: TrainConfig): RunDir {
    const dir = new RunDir(root);
    if (existsSync(dir.checkpointPath) || existsSync(dir.path('report.json'))) {
      throw new Error(`${root}: already holds a run (checkpoint.json or report.json); resume it with --resume ${root}, or choose another --out`);
    }
    mkdirSync(root, { recursive: true });
    writeFileAtomic(dir.configPath, `${JSON.stringify(config, null, 2)}\n`);
    writeFileAtomic(dir.logPath, '');
    return dir;
  }

  /**
   * A fresh run directory under `parent` for a run called `name`: `parent/name`, or, when that already
   * holds a run, the first free `parent/name-1`, `parent/name-2`, … (as Lightning's version_N), so that
   * running the same command twice never overwrites a finished run.
   */
  static freshPath(parent: string, name: string): string {
    const holdsRun = (root: string) => existsSync(join(root, 'checkpoint.json')) || existsSync(join(root, 'report.json'));
    let root = join(parent, name);
    for (let i = 1; holdsRun(root); i++) root = join(parent, `${name}-${i}`);
    return root;
  }

  /** Opens an existing run; its config.json is validated again. */
  static open(root: string): RunDir {
    const dir = new RunDir(root);
    if (!existsSync(dir.configPath)) throw new Error(`${root}: not a run directory (no config.json)`);
    return dir;
  }

  /** The run's config: config.json resolved again (from the preset it names), as every config is. */
  readConfig(): TrainConfig {
    return resolveConfig(undefined, [readConfigFile(this.configPath)], this.configPath);
  }

  appendLog(record: LogRecord): void {
    appendFileSync(this.logPath, `${JSON.stringify(record)}\n`);
  }

  readLog(): LogRecord[] {
    if (!existsSync(this.logPath)) return [];
    return readFileSync(this.logPath, 'utf8').split('\n').filter((l) => l.trim() !== '').map((line, i) => {
      try {
        return JSON.parse(line) as LogRecord;
      } catch (e) {
        throw new Error(`${this.logPath}:${i + 1}: not a JSON record (${(e as Error).message})`);
      }
    });
  }

  /** Drops records after `iteration` (resume: they belong to steps that will be run again). */
  truncateLog(iteration: number): void {
    const kept = this.readLog().filter((r) => r.iteration <= iteration);
    writeFileAtomic(this.logPath, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  /** Writes a resumable checkpoint (see the module comment for the order of writes). */
  writeCheckpoint(session: TrainingSession, state: TrainerState): void {
    const name = `state-${String(state.iteration).padStart(7, '0')}.safetensors`;
    const rel = join('checkpoints', name);
    saveState(session, this.path(rel), { iteration: String(state.iteration) });
    const file: CheckpointFile = { format: 'mcsc-checkpoint', state: rel, ...state };
    writeFileAtomic(this.checkpointPath, `${JSON.stringify(file, null, 2)}\n`);
    for (const old of readdirSync(this.path('checkpoints'))) {
      if (old !== name) rmSync(this.path('checkpoints', old), { force: true });
    }
  }

  /** The latest checkpoint, or null when the run has none yet. */
  readCheckpoint(): CheckpointFile | null {
    if (!existsSync(this.checkpointPath)) return null;
    const file = JSON.parse(readFileSync(this.checkpointPath, 'utf8')) as CheckpointFile;
    if (file.format !== 'mcsc-checkpoint' || !Number.isInteger(file.iteration)) {
      throw new Error(`${this.checkpointPath}: not an mcsc checkpoint (format ${JSON.stringify(file.format)})`);
    }
    if (!existsSync(this.path(file.state))) throw new Error(`${this.checkpointPath}: its state file ${file.state} is missing`);
    return file;
  }

  /** Saves one network's parameters and running statistics under single-network reference names. */
  writeNetworkWeights(values: ReadonlyMap<string, NamedTensor>, network: NetworkName, file: string, metadata: Record<string, string> = {}): void {
    writeFileAtomic(this.path(file), encodeSafetensors(networkWeights(values, network), { network, ...metadata }));
  }

  /** The tensors of the latest checkpoint's session state (parameters, states, moments), by name. */
  readCheckpointTensors(checkpoint: CheckpointFile): Map<string, NamedTensor> {
    return decodeSafetensors(readFileSync(this.path(checkpoint.state)), this.path(checkpoint.state)).tensors;
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

/**
 * One writer per run directory: `run.lock`, created with O_EXCL and holding {pid, host, started}. A
 * second trainer is refused with the owner's pid, host and start time; a lock whose pid no longer runs on
 * this host (a killed trainer) is taken over with a message; a lock held on another host is never taken
 * over (its pid means nothing here). Used by {@link RunDir} (run-dir.ts).
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { failedTo, McscError } from '@mcsc/graph/node';
import { isJsonObject } from '../data/json-file.js';

/** Who holds a run directory's `run.lock`. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** ISO time the lock was taken. */
  readonly started: string;
}

export class RunLock {
  /** The lock this object holds: the text it wrote and its exit handler. */
  private held: { readonly text: string; readonly onExit: () => void } | null = null;

  /** `root`: the run directory, named in the errors; `path`: its lock file. */
  constructor(
    readonly root: string,
    readonly path: string,
  ) {}

  /**
   * Takes the lock. Held by a live process, or by one on another host, it is refused with the owner;
   * held by a pid that no longer runs on this host, it is taken over with a message. Released by
   * {@link release}, and at process exit (`process.exit`, a second Ctrl-C). Returns false when this
   * object already held it.
   */
  acquire(log: (message: string) => void): boolean {
    if (this.held) return false;
    mkdirSync(this.root, { recursive: true });
    const me: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
    const text = `${JSON.stringify(me)}\n`;
    for (let attempt = 0; attempt < 3; attempt++) {
      let fd: number;
      try {
        fd = openSync(this.path, 'wx');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw failedTo(this.path, 'cannot create the lock', e);
        this.takeOverStale(log);
        continue;
      }
      try {
        writeSync(fd, text);
      } catch (e) {
        closeSync(fd);
        rmSync(this.path, { force: true });
        throw failedTo(this.path, 'cannot write the lock', e);
      }
      closeSync(fd);
      const onExit = () => this.release();
      process.on('exit', onExit);
      this.held = { text, onExit };
      return true;
    }
    throw new McscError(
      this.root,
      `another trainer took the lock ${this.path} while this one was taking over a stale lock; run one trainer at a time`,
    );
  }

  /** Removes the lock file if this object holds it (and it is still the one it wrote). */
  release(): void {
    if (!this.held) return;
    const { text, onExit } = this.held;
    this.held = null;
    process.off('exit', onExit);
    try {
      if (readFileSync(this.path, 'utf8') === text) rmSync(this.path, { force: true });
    } catch {
      // already gone
    }
  }

  /** Who holds the lock, or null when there is none; throws naming the file when it cannot be read. */
  read(): LockOwner | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw failedTo(this.path, 'cannot read the lock', e);
    }
    return parseLock(text, this.path);
  }

  /** Removes the existing lock if its owner is gone; throws naming the owner otherwise. */
  private takeOverStale(log: (message: string) => void): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // released meanwhile: try again
      throw failedTo(this.path, 'cannot read the lock', e);
    }
    const owner = parseLock(text, this.path);
    const since = `since ${owner.started}`;
    if (owner.host !== hostname()) {
      throw new McscError(
        this.root,
        `in use by a trainer on host ${owner.host} (pid ${owner.pid}, ${since}; ${this.path}); if it no longer runs, delete the lock file`,
      );
    }
    if (pidAlive(owner.pid)) {
      const who = owner.pid === process.pid ? 'this process' : `pid ${owner.pid}`;
      throw new McscError(
        this.root,
        `another trainer is writing there (${who}, ${since}; ${this.path}); wait for it or stop it, or choose another --out`,
      );
    }
    // Remove it only if it is still the stale lock judged here (not one another process just took over).
    try {
      if (readFileSync(this.path, 'utf8') !== text) return;
    } catch {
      return;
    }
    rmSync(this.path, { force: true });
    log(`${this.root}: took over the lock of pid ${owner.pid} (${since}), which no longer runs`);
  }
}

function parseLock(text: string, path: string): LockOwner {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  if (!isJsonObject(v) || !Number.isInteger(v.pid) || typeof v.host !== 'string' || typeof v.started !== 'string') {
    throw new McscError(
      path,
      `a lock that does not say who holds it (${JSON.stringify(text.slice(0, 80))}); if no trainer runs in this directory, delete the file`,
    );
  }
  return { pid: v.pid as number, host: v.host, started: v.started };
}

/** Whether a process with this pid runs on this host (EPERM: it does, as another user). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Child processes for the fault tests: `mcsc` run as users run it (`pnpm mcsc …`, or the one process
 * that script starts, `node --import tsx …/main.ts`), its stderr collected, waits bounded in time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogRecord } from '../../src/trainer/run-dir';

export const ROOT = join(__dirname, '../../../..');
export const MAIN = join(ROOT, 'packages/train/src/cli/main.ts');

export interface McscChild {
  readonly child: ChildProcess;
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** Resolves once the process has exited and its stdio closed (every process holding the pipes is gone). */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `mcsc <args>`: `via: 'pnpm'` runs the README's command (`pnpm mcsc …`) as the leader of a
 * new process group, so a test can signal the group as a terminal's Ctrl-C does; `via: 'node'` runs
 * `node --import tsx main.ts` directly.
 */
export function spawnMcsc(args: readonly string[], options: { via?: 'pnpm' | 'node'; env?: Record<string, string> } = {}): McscChild {
  const env = { ...process.env, ...options.env };
  const child =
    options.via === 'pnpm'
      ? spawn('pnpm', ['mcsc', ...args], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => stderr, closed };
}

/** Waits until `ready()` holds, polling every 50 ms; throws with `what` after `timeoutMs`. */
export async function waitFor(ready: () => boolean, timeoutMs: number, what: string, child?: McscChild): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (child && child.child.exitCode !== null)
      throw new Error(`${what}: the child exited (${child.child.exitCode}) first; stderr:\n${child.stderr()}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${child ? `; stderr:\n${child.stderr()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves `p`, or rejects after `ms` (killing `child` then). */
export async function within<T>(p: Promise<T>, ms: number, what: string, child?: McscChild): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child?.child.kill('SIGKILL');
      reject(new Error(`${what}: not within ${ms} ms${child ? `; stderr:\n${child.stderr()}` : ''}`));
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The train records of a run's log.jsonl, by the text of its whole lines (0 while it has none). */
export function loggedIterations(out: string): number[] {
  const path = join(out, 'log.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.endsWith('}'))
    .map((l) => {
      try {
        const r = JSON.parse(l) as LogRecord;
        return r.type === 'train' ? r.iteration : -1;
      } catch {
        return -1;
      }
    })
    .filter((t) => t >= 0);
}

/** A log without its wall-clock seconds: what an exact resume must reproduce. */
export const strip = (log: LogRecord[]) => log.map(({ seconds: _, ...rest }) => rest);

/** Writes a config file; returns its path. */
export function writeConfig(path: string, config: unknown): string {
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** Whether a process with this pid runs. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `--device cuda` checked before a command starts: a tiny session is created with the CUDA execution
 * provider in a child process, whose output is captured. onnxruntime logs a failing provider load
 * straight to stderr from native code (a coloured `[E:onnxruntime:…]` line) before it throws, and its
 * log level is fixed once per process, so the check cannot run in this process without that line
 * reaching the user; the child's is read instead and summed up in one line.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { Graph, emitModel, relu, McscError } from '@mcsc/graph';

/** What the check found: CUDA starts, or the one-line reason it does not. */
export type CudaCheck = { ok: true } | { ok: false; reason: string };

/** The script of the child: creates a session on CUDA only, prints `ok` or the error. */
const CHILD = `
const ort = require(process.argv[1]);
ort.InferenceSession.create(Buffer.from(process.argv[2], 'base64'), { executionProviders: ['cuda'] })
  .then(() => { process.stdout.write('ok'); }, (e) => { process.stdout.write(String((e && e.message) || e)); process.exitCode = 3; });
`;

/**
 * Creates a one-node session on onnxruntime-node's CUDA provider in a child process. `from`: a file
 * from which `onnxruntime-node` resolves (default: the running script, as the CLI runs).
 */
export async function checkCuda(from = process.argv[1], timeoutMs = 60_000): Promise<CudaCheck> {
  let ortPath: string;
  try {
    ortPath = createRequire(from ?? `${process.cwd()}/`).resolve('onnxruntime-node');
  } catch (e) {
    return { ok: false, reason: `onnxruntime-node not found (${(e as Error).message.split('\n')[0]})` };
  }
  const g = new Graph();
  const model = emitModel(g, { outputs: { y: relu(g.input('x', [1, 4])) } }).bytes;
  const child = spawn(process.execPath, ['-e', CHILD, ortPath, Buffer.from(model).toString('base64')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  if (code === 0 && stdout === 'ok') return { ok: true };
  return { ok: false, reason: cudaFailureReason(stdout, stderr, code) };
}

/**
 * The cause of a failed CUDA start in one line: the missing library when onnxruntime names one
 * (`Failed to load library X with error: Y`), else the first line of its error.
 */
export function cudaFailureReason(error: string, log = '', code: number | null = 3): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the ANSI colour codes of onnxruntime's log
  const text = `${log}\n${error}`.replace(/\u001b\[[0-9;]*m/g, '');
  const missing = /with error: ([^\n]*?cannot open shared object file[^\n]*)/.exec(text) ?? /with error: ([^\n]+)/.exec(text);
  if (missing) return missing[1]!.replace(/^\S*\/(?=[^/\s]+\.so)/, '').trim();
  const first = error
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean);
  return first ?? `the check exited with code ${code}`;
}

/** Throws one line saying why `--device cuda` cannot run here, and what to do; resolves when it can. */
export async function requireCuda(): Promise<void> {
  const check = await checkCuda();
  if (check.ok) return;
  throw new McscError(
    '--device cuda',
    `onnxruntime-node cannot start CUDA here (${check.reason}); install its CUDA libraries as the README section "CUDA" says, or use --device cpu`,
  );
}

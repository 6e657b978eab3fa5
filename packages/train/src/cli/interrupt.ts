/**
 * Ctrl-C for the commands that train. The trainer is a library and never touches the process: it
 * stops after the current step, with a checkpoint, once the signal given here is aborted. Exiting at
 * once is the command line's decision, made here.
 */

export interface Interrupt {
  /** Aborted by the first Ctrl-C. */
  readonly signal: AbortSignal;
  /** Removes the SIGINT handler. */
  dispose(): void;
}

/**
 * The first Ctrl-C aborts `signal` (the run finishes its step and writes a checkpoint); a second one
 * quits at once with exit code 130. One arriving within a second of the first is the same keypress
 * relayed by a wrapper process (pnpm, tsx), not a second request.
 */
export function interruptOnSigint(log: (message: string) => void = (m) => console.error(m)): Interrupt {
  const controller = new AbortController();
  let at = 0;
  const onSigint = () => {
    if (controller.signal.aborted) {
      if (Date.now() - at > 1000) process.exit(130);
      return;
    }
    at = Date.now();
    controller.abort();
    log('\ninterrupt: finishing this step, then writing a checkpoint (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/**
 * Ctrl-C and SIGTERM for the commands that train. The trainer is a library and never touches the
 * process: it stops after the current step, with a checkpoint, once the signal given here is aborted.
 * Exiting at once is the command line's decision, made here.
 *
 * For the handler to run, nothing between the terminal and this process may kill it first: the root
 * `pnpm mcsc` script runs `node --import tsx` (one process; tsx's own CLI would be a parent that
 * SIGKILLs a child not answering a relayed signal within ~60 ms, while onnxruntime holds the event
 * loop). pnpm itself waits for its child on SIGINT (packages/train/test/faults/signals.test.ts).
 */

/** The signals that stop a run with a checkpoint. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit codes of a run stopped by a signal: 128 + the signal's number, as a shell reports it. */
export const SIGNAL_EXIT_CODES: Readonly<Record<StopSignal, number>> = Object.freeze({ SIGINT: 130, SIGTERM: 143 });

export interface Interrupt {
  /** Aborted by the first SIGINT (Ctrl-C) or SIGTERM. */
  readonly signal: AbortSignal;
  /** The signal that aborted `signal`, if one has. */
  readonly received: StopSignal | undefined;
  /** Removes the handlers. */
  dispose(): void;
}

/**
 * The first SIGINT or SIGTERM aborts `signal` (the run finishes its step and writes a checkpoint); a
 * second one quits at once with 128 + its number. One arriving within a second of the first is the
 * same keypress seen twice (a terminal signals the whole process group; a wrapper may relay it), not
 * a second request.
 */
export function interruptOnSignals(log: (message: string) => void = (m) => console.error(m)): Interrupt {
  const controller = new AbortController();
  let at = 0;
  let received: StopSignal | undefined;
  const handler = (name: StopSignal) => () => {
    if (controller.signal.aborted) {
      if (Date.now() - at > 1000) process.exit(SIGNAL_EXIT_CODES[name]);
      return;
    }
    at = Date.now();
    received = name;
    controller.abort();
    const again = name === 'SIGINT' ? 'Ctrl-C again' : 'SIGTERM again';
    log(`\n${name === 'SIGINT' ? 'interrupt' : 'SIGTERM'}: finishing this step, then writing a checkpoint (${again} to quit at once)`);
  };
  const onSigint = handler('SIGINT');
  const onSigterm = handler('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose: () => {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigterm);
    },
  };
}

/** {@link interruptOnSignals} under its former name (`mcsc compare` uses it); it handles SIGTERM too. */
export const interruptOnSigint = interruptOnSignals;

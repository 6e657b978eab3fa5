/** `mcsc compare`: supervised-only, cross teaching and MCSC with the same seeds, data and labels; prints the table. */
import type { Command } from 'commander';
import { compareMethods, methodSchema, type Method } from '../trainer/compare.js';
import { interruptOnSigint } from './interrupt.js';
import { choiceListFlag, integerText, listFlag, quoteChoices } from './options.js';
import { addRunOptions, configFromCli, type RunCliOptions } from './train.js';

export function register(program: Command): void {
  addRunOptions(
    program
      .command('compare')
      .description('train supervised-only, cross teaching and MCSC with the same seeds, data and labels; print test Dice mean ± sd'),
  )
    .option('--seeds <list>', 'comma-separated seeds', listFlag('--seeds', integerText, 'integers'), [1337])
    .option('--methods <list>', `comma-separated, from ${quoteChoices(methodSchema.options)}`, choiceListFlag('--methods', methodSchema), [
      'supervised',
      'cross-teaching',
      'mcsc',
    ])
    .option('--out <dir>', 'parent directory of the runs', 'runs/compare')
    .action(async (o: RunCliOptions & { seeds: number[]; methods: Method[]; out: string }) => {
      const config = configFromCli(o);
      const interrupt = interruptOnSigint();
      try {
        const { table } = await compareMethods({
          config,
          methods: o.methods,
          seeds: o.seeds,
          out: o.out,
          progress: o.progress,
          signal: interrupt.signal,
        });
        console.log(table);
        console.log(`\nruns and compare.md in ${o.out}`);
      } finally {
        interrupt.dispose();
      }
    });
}

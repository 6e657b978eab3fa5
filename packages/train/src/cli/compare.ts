/** `mcsc compare`: supervised-only, cross teaching and MCSC with the same seeds, data and labels; prints the table. */
import { InvalidArgumentError, type Command } from 'commander';
import { compareMethods, METHODS, type Method } from '../trainer/compare.js';
import { addRunOptions, configFromCli, type RunCliOptions } from './train.js';

export function register(program: Command): void {
  addRunOptions(program.command('compare').description('train supervised-only, cross teaching and MCSC with the same seeds, data and labels; print test Dice mean ± sd'))
    .option('--seeds <list>', 'comma-separated seeds', (v) => {
      const seeds = v.split(',').map((s) => Number(s.trim()));
      if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s))) throw new InvalidArgumentError(`--seeds must be integers separated by commas, got '${v}'`);
      return seeds;
    }, [1337])
    .option('--methods <list>', `comma-separated, from ${METHODS.join(', ')}`, (v) => {
      const methods = v.split(',').map((s) => s.trim());
      const bad = methods.filter((m) => !(METHODS as readonly string[]).includes(m));
      if (bad.length) throw new InvalidArgumentError(`--methods: unknown ${bad.join(', ')} (known: ${METHODS.join(', ')})`);
      return methods;
    }, ['supervised', 'cross-teaching', 'mcsc'])
    .option('--out <dir>', 'parent directory of the runs', 'runs/compare')
    .action(async (o: RunCliOptions & { seeds: number[]; methods: Method[]; out: string }) => {
      const { table } = await compareMethods({ config: configFromCli(o), methods: o.methods, seeds: o.seeds, out: o.out, progress: o.progress });
      console.log(table);
      console.log(`\nruns and compare.md in ${o.out}`);
    });
}

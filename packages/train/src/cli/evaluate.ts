/** `mcsc evaluate`: tests a run's best weights again (docs/method/evaluation.md), rewriting its report and inference models. */
import type { Command } from 'commander';
import type { DataSource } from '../trainer/data.js';
import { evaluateRun } from '../trainer/trainer.js';
import { dataFlag } from './train.js';

export function register(program: Command): void {
  program
    .command('evaluate')
    .description(
      "test a run's best-by-validation CNN, Transformer and ensemble; rewrites report.json/.md/.html, figures and the ONNX models",
    )
    .requiredOption('--run <dir>', 'the run directory')
    .option(
      '--data <path>',
      "other data of the same task: 'synthetic', an ACDC or Synapse folder, or a NIfTI data-set .json (default: the run's)",
      dataFlag,
    )
    .action(async (o: { run: string; data?: DataSource }) => {
      const report = await evaluateRun(o.run, o.data !== undefined ? { data: o.data } : {});
      const pct = (v: number) => (100 * v).toFixed(2);
      console.log(
        `test Dice: CNN ${pct(report.results.cnn.mean.dice)}, Transformer ${pct(report.results.trans.mean.dice)}, ensemble ${pct(report.results.ensemble.mean.dice)} (${report.data.testVolumes} volumes)`,
      );
      console.log(`report: ${o.run}/report.html (and report.md, report.json)`);
    });
}

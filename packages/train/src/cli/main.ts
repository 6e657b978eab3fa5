#!/usr/bin/env node
/** The `mcsc` command line. Each command lives in its own file and registers itself here. */
import { McscError } from '@mcsc/graph';
import { Command } from 'commander';
import { register as registerExport } from './export.js';
import { register as registerGrad } from './grad.js';
import { register as registerTrain } from './train.js';
import { register as registerEvaluate } from './evaluate.js';
import { register as registerCompare } from './compare.js';
import { register as registerPredict } from './predict.js';

export function buildProgram(): Command {
  const program = new Command('mcsc').description('MCSC semi-supervised segmentation on ONNX Runtime').showHelpAfterError();
  registerExport(program);
  registerGrad(program);
  registerTrain(program);
  registerEvaluate(program);
  registerCompare(program);
  registerPredict(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((e: unknown) => {
    // An McscError is a refusal the user can act on: one line. Anything else escaped every check: a bug.
    if (e instanceof McscError) console.error(`mcsc: ${e.message}`);
    else
      console.error(`mcsc: internal error (please report it with this output): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  });

/**
 * The MCSC training loop: one joint step per iteration (mcsc-graph.ts), schedules fed per step
 * (schedule.ts), validation every `run.validateEvery` iterations with best-by-validation weights per
 * network, resumable checkpoints (run-dir.ts) every `run.checkpointEvery` iterations, on a stop request
 * (`signal`: Ctrl-C or SIGTERM in the CLI) and at the end, then the final test with the best weights,
 * the report and the two inference models ({@link finishRun}). Settings derived from the config and
 * the data come from run-settings.ts. The steps before the contrast's switch to all slices run on a
 * graph of their own that holds only the labeled slices' block points (docs/method/losses.md#phases).
 *
 * Faults (run-dir.ts has the details): the run directory is locked while the run writes it; a step
 * whose loss is not finite stops the run with an error naming the iteration and the terms, and its
 * state is not saved (the last good checkpoint stays); a damaged checkpoint fails before the graphs
 * are built, naming the file.
 *
 * A library: it never exits the process nor installs signal handlers; a stop is reported by the
 * result (`completed: false`, `stopReason`), and the CLI chooses the exit code.
 *
 * Exact resume: a step depends only on the restored session state (parameters, running statistics,
 * AdamW moments, step count, dropout generator) and on the iteration number (batch order replayed,
 * augmentation and block shuffles from generators derived from (seed, t)), so a resumed run repeats
 * the losses of an uninterrupted one.
 */
import { Random, TrainingSession, loadState, nodeRuntime, writeFileAtomic, type Feeds, McscError } from '@mcsc/graph/node';
import { graphLosses } from '@mcsc/core';
import cliProgress from 'cli-progress';
import { loadImageNetSwin } from '../models/imagenet-swin.js';
import type { SegmentationDataset } from '../data/types.js';
import { resolveConfig, type TrainConfig } from './config.js';
import { BatchStream, classesText, labeledSplit, loadData, prepareBatch, validationTopUpText } from './data.js';
import { evaluateVolumes, jointPredictor, networkSession, pairPredictor } from './evaluate.js';
import { mcscGraph, NETWORK_PARAMS, type McscGraph, type NetworkName } from './mcsc-graph.js';
import { writeReport, type Report } from './report.js';
import { RunDir, type BestRecord } from './run-dir.js';
import { dataShape, runSettings, type RunSettings } from './run-settings.js';
import { stepSchedule, type StepSchedule } from './schedule.js';
import { messageOf } from '@mcsc/graph';

export interface TrainOptions {
  /** The resolved config of a new run (ignored when resuming: the run's own config.json is used). */
  config?: TrainConfig;
  /** Run directory of a new run; default `runs/<config.name>`, or `runs/<config.name>-N` when that holds a run. */
  out?: string;
  /** Run directory to resume from its latest checkpoint. */
  resume?: string;
  /** An already loaded data set (must be the one the config names); default: load it. */
  dataset?: SegmentationDataset;
  /** Show the progress bar; default: when stderr is a terminal. */
  progress?: boolean;
  /** Stop with a checkpoint once this many iterations are done (tests, time-boxed runs). */
  stopAfter?: number;
  /** Once aborted, stop after the current step with a checkpoint (the CLI aborts it on Ctrl-C and SIGTERM). */
  signal?: AbortSignal;
  /** Where messages go (default: console.error). */
  log?: (message: string) => void;
}

export interface TrainResult {
  readonly dir: RunDir;
  readonly config: TrainConfig;
  /** Steps taken in total. */
  readonly iteration: number;
  /** False when stopped early (`signal`, `stopAfter`): the run directory holds a resumable checkpoint. */
  readonly completed: boolean;
  /** Why an incomplete run stopped: `signal` aborted, or `stopAfter` reached. */
  readonly stopReason?: 'signal' | 'stopAfter';
  /** The settings derived from the config and the data. */
  readonly settings: RunSettings;
  /** The final report (completed runs). */
  readonly report?: Report;
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const say = options.log ?? ((m: string) => console.error(m));
  if (!options.resume && !options.config) throw new McscError('train', 'give a config for a new run, or resume');
  // A resumed run's directory is locked before anything is read from it; a new one once the data
  // and the config have been checked against each other (RunDir.create).
  const resumed = options.resume ? RunDir.open(options.resume) : null;
  resumed?.acquireLock(say);
  let dir = resumed;
  try {
    const config = resumed ? resumed.readConfig() : options.config!;
    const dataset = options.dataset ?? (await loadData(config));
    const split = labeledSplit(config, dataset);
    const settings = runSettings(config, dataShape(dataset));
    const stream = new BatchStream(split, config, settings.graph.usesUnlabeled);
    dir ??= RunDir.create(options.out ?? RunDir.freshPath('runs', config.name), config, say);
    return await trainLocked(dir, options, { config, dataset, split, settings, stream }, say);
  } finally {
    dir?.releaseLock();
  }
}

interface Prepared {
  config: TrainConfig;
  dataset: SegmentationDataset;
  split: ReturnType<typeof labeledSplit>;
  settings: RunSettings;
  stream: BatchStream;
}

/** The run itself, in a directory this process holds the lock of. */
async function trainLocked(dir: RunDir, options: TrainOptions, p: Prepared, say: (m: string) => void): Promise<TrainResult> {
  const { config, dataset, split, settings, stream } = p;
  const { batch } = settings;
  const T = config.optim.iterations;
  // The run's first line says what it trains on, the classes and where they came from included.
  say(
    `run ${dir.root}: ${dataset.name}, ${classesText(dataset)}; ${split.labeled.length} labeled / ${split.unlabeled.length} unlabeled slices (${split.labeledCases.length} labeled case${split.labeledCases.length === 1 ? '' : 's'}), ${dataset.val.length} validation and ${dataset.test.length} test volumes, ${T} iterations, batch ${batch}`,
  );
  const topUp = validationTopUpText(dataset);
  if (topUp !== undefined) say(`validation: ${topUp}`);
  // A damaged checkpoint.json or state file fails here, before the graphs are built.
  const checkpoint = options.resume ? dir.readCheckpoint() : null;
  if (checkpoint) {
    let recorded: number;
    try {
      recorded = dir.verifyState(checkpoint.state).iteration;
    } catch (e) {
      throw dir.checkpointError(`cannot resume from ${dir.checkpointPath}`, messageOf(e), checkpoint.state);
    }
    if (recorded !== checkpoint.iteration) {
      throw dir.checkpointError(
        `cannot resume from ${dir.checkpointPath}`,
        `it says iteration ${checkpoint.iteration}, its state file ${checkpoint.state} holds iteration ${recorded}`,
        checkpoint.state,
      );
    }
  }
  // The contrast's phases (docs/method/losses.md#phases) each have their own graph: `graphSlices(s)`
  // slices contrasted by the step of schedule s, B_l before `allSlicesFrom` and B from then on.
  const graphSlices = (s: StepSchedule) => (settings.graph.contrast ? s.contrastSlices : settings.graph.contrastSlices);
  const phaseGraph = (slices: number) => mcscGraph({ ...settings.graph, contrastSlices: slices });
  const createSession = (g: McscGraph) =>
    TrainingSession.create({ build: g.build, optimizer: settings.optimizer, seed: config.seed, runtime: nodeRuntime(settings.runtime) });
  let graph = phaseGraph(graphSlices(stepSchedule(config, Math.min(checkpoint?.iteration ?? 0, T - 1), stream.itersPerEpoch, batch)));
  let session = await createSession(graph);

  let t = 0;
  let best: Partial<Record<NetworkName, BestRecord>> = {};
  let elapsed = 0;
  if (checkpoint) {
    try {
      loadState(session, dir.path(checkpoint.state));
    } catch (e) {
      throw dir.checkpointError(`cannot resume from ${dir.checkpointPath}`, messageOf(e), checkpoint.state);
    }
    t = checkpoint.iteration;
    best = { ...checkpoint.best };
    elapsed = checkpoint.elapsedSeconds;
    stream.skip(t);
    dir.truncateLog(t, say);
    say(`resuming ${dir.root} at iteration ${t} of ${T}`);
  } else {
    if (options.resume) dir.truncateLog(-1, say);
    if (config.model.pretrainedSwin) {
      const { dropped } = loadImageNetSwin(session, config.model.pretrainedSwin);
      say(`loaded ImageNet Swin weights from ${config.model.pretrainedSwin}${dropped.length ? ` (${dropped.length} keys dropped)` : ''}`);
    }
  }

  const validation = dataset.val.slice(0, config.data.maxValVolumes ?? dataset.val.length);
  const stopRequested = () => options.signal?.aborted === true;
  const showBar = options.progress ?? process.stderr.isTTY === true;
  const bar = showBar
    ? new cliProgress.SingleBar(
        {
          format:
            'train {bar} {value}/{total} | loss {loss} sup {sup} ct {ct} con {con} | val Dice {val} | {rate} it/s | ETA {eta_formatted}',
          etaBuffer: 50,
          hideCursor: true,
          barsize: 24,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(T, t, { loss: '-', sup: '-', ct: '-', con: '-', val: '-', rate: '-' });

  const started = performance.now() / 1000;
  const startElapsed = elapsed;
  const seconds = () => startElapsed + performance.now() / 1000 - started;
  /** Iteration of the checkpoint on disk (-1: none). */
  let savedAt = checkpoint?.iteration ?? -1;
  const saveCheckpoint = () => {
    if (savedAt === t) return;
    dir.writeCheckpoint(session, { iteration: t, best, elapsedSeconds: seconds() });
    savedAt = t;
  };
  try {
    while (t < T && !stopRequested() && !(options.stopAfter !== undefined && t >= options.stopAfter)) {
      const s = stepSchedule(config, t, stream.itersPerEpoch, batch);
      if (graphSlices(s) !== graph.slices) {
        // The switch to all slices: the state moves to the new phase's graph as a checkpoint's would
        // (so the step after it is the step a resumed run takes); the old session goes first.
        const state = session.exportState();
        await session.release();
        graph = phaseGraph(graphSlices(s));
        session = await createSession(graph);
        session.importState(state, `the state at iteration ${t}`);
        if (!bar) say(`iteration ${t}: the contrast takes all ${graph.slices} slices from here on (its own training graph)`);
      }
      const losses = await session.step(stepFeeds(dataset, stream.next(), graph, settings, config, t, s), { lr: s.lr });
      t++;
      const notFinite = Object.entries(losses).filter(([, v]) => !Number.isFinite(v));
      if (notFinite.length > 0) {
        // The step has already updated the parameters from a non-finite loss: that state is not saved.
        const kept =
          savedAt >= 0
            ? `the last good checkpoint (iteration ${savedAt}) in ${dir.root} is kept; resume it with mcsc train --resume ${dir.root} (perhaps with a lower learning rate)`
            : `${dir.root} has no checkpoint yet`;
        const byValue = [NaN, Infinity, -Infinity]
          .map((x) => [x, notFinite.filter(([, v]) => Object.is(v, x)).map(([k]) => k)] as const)
          .filter(([, ks]) => ks.length);
        throw new McscError(
          `iteration ${t}`,
          `the loss is not finite (${byValue.map(([x, ks]) => `${x}: ${ks.join(', ')}`).join('; ')}); stopped without saving this state; ${kept}`,
        );
      }
      if (t % config.run.logEvery === 0 || t === T) {
        dir.appendLog({
          type: 'train',
          iteration: t,
          seconds: seconds(),
          lr: { ...s.lr },
          ctWeight: s.ctWeight,
          contrastSlices: s.contrastSlices,
          losses,
        });
      }
      const rate = (t - (checkpoint?.iteration ?? 0)) / Math.max(seconds() - startElapsed, 1e-9);
      bar?.update(t, {
        loss: losses.loss!.toFixed(3),
        sup: ((losses.sup_cnn! + losses.sup_trans!) / 2).toFixed(3),
        ct: losses.ct_cnn === undefined ? '-' : ((losses.ct_cnn + losses.ct_trans!) / 2).toFixed(3),
        con: losses.con === undefined ? '-' : losses.con.toFixed(3),
        rate: rate.toFixed(2),
      });
      if (validation.length > 0 && (t % config.run.validateEvery === 0 || t === T)) {
        const { summaries } = await evaluateVolumes(validation, jointPredictor(session), settings.evaluation);
        const dice = { cnn: summaries.cnn.mean.dice, trans: summaries.trans.mean.dice, ensemble: summaries.ensemble.mean.dice };
        dir.appendLog({ type: 'val', iteration: t, seconds: seconds(), dice });
        for (const net of ['cnn', 'trans'] as const) {
          if (best[net] === undefined || dice[net] > best[net]!.dice) {
            best = { ...best, [net]: { dice: dice[net], iteration: t } };
            dir.writeNetworkWeights(session.weights(), net, `best/${net}.safetensors`, {
              iteration: String(t),
              valDice: String(dice[net]),
            });
          }
        }
        if (bar) bar.update(t, { val: `${(100 * dice.cnn).toFixed(1)}/${(100 * dice.trans).toFixed(1)}` });
        else
          say(
            `iteration ${t}: validation Dice cnn ${(100 * dice.cnn).toFixed(1)} trans ${(100 * dice.trans).toFixed(1)} ensemble ${(100 * dice.ensemble).toFixed(1)}`,
          );
      }
      if (t % config.run.checkpointEvery === 0 && t < T) saveCheckpoint();
    }
    saveCheckpoint();
  } finally {
    bar?.stop();
    // The parameters and the state stay in this process (weights(), exportState()); onnxruntime's memory
    // goes now, before the final test builds its own sessions. A failure to release hides no error of the loop.
    await session.release().catch(() => {});
  }
  if (t < T) {
    say(`stopped at iteration ${t} of ${T}; resume with: mcsc train --resume ${dir.root}`);
    return { dir, config, settings, iteration: t, completed: false, stopReason: stopRequested() ? 'signal' : 'stopAfter' };
  }
  for (const net of ['cnn', 'trans'] as const)
    dir.writeNetworkWeights(session.weights(), net, `final/${net}.safetensors`, { iteration: String(t) });
  const report = await finishRun(dir, { config, dataset, iterations: t, trainSeconds: seconds(), best, log: say });
  return { dir, config, settings, iteration: t, completed: true, report };
}

/**
 * The feeds of step t: the augmented batch (labels of its labeled head), λ(t), the contrastive weight
 * and, per contrasted scale, a fresh block shuffle over the slices that take part.
 */
function stepFeeds(
  dataset: SegmentationDataset,
  indices: Int32Array,
  graph: McscGraph,
  settings: RunSettings,
  config: TrainConfig,
  t: number,
  s: StepSchedule,
): Feeds {
  const { image, label } = prepareBatch(dataset.train, indices, settings.batch, config, t);
  const feeds: Record<string, Feeds[string]> = { image, label };
  if (settings.graph.crossTeaching) feeds.ct_weight = Float32Array.of(s.ctWeight);
  if (settings.graph.contrast) {
    feeds.contrast_weight = Float32Array.of(s.contrastWeight);
    const random = Random.forName(config.seed, `blocks:${t}`);
    for (const spec of graph.blockSpecs.values())
      Object.assign(feeds, graphLosses.blockConFeeds(spec, { activeSlices: s.contrastSlices, random }));
  }
  return feeds;
}

export interface FinishOptions {
  config: TrainConfig;
  dataset: SegmentationDataset;
  iterations: number;
  trainSeconds: number;
  best: Partial<Record<NetworkName, BestRecord>>;
  log?: (message: string) => void;
}

/**
 * The end of a run (also `mcsc evaluate`): each network with its best-by-validation weights (the
 * final ones when there was no validation), the test volumes per docs/method/evaluation.md, the report and the two
 * inference models `cnn.onnx` and `transformer.onnx`.
 */
export async function finishRun(dir: RunDir, o: FinishOptions): Promise<Report> {
  const say = o.log ?? ((m: string) => console.error(m));
  const { config, dataset } = o;
  const settings = runSettings(config, dataShape(dataset));
  const weights = (net: NetworkName) => dir.path(o.best[net] ? `best/${net}.safetensors` : `final/${net}.safetensors`);
  const cnn = await networkSession(settings.networks.cnn, config.model.patchSize, settings.runtime, weights('cnn'));
  const trans = await networkSession(settings.networks.trans, config.model.patchSize, settings.runtime, weights('trans'));
  say(`testing on ${dataset.test.length} volumes`);
  const test = await evaluateVolumes(dataset.test, pairPredictor(cnn, trans), settings.evaluation);
  writeFileAtomic(dir.path('cnn.onnx'), cnn.exportInference());
  writeFileAtomic(dir.path('transformer.onnx'), trans.exportInference());
  const split = labeledSplit(config, dataset);
  return writeReport(dir, {
    config,
    dataset,
    labeled: { slices: split.labeled.length, cases: split.labeledCases },
    iterations: o.iterations,
    trainSeconds: o.trainSeconds,
    best: o.best,
    test,
    log: dir.readLog(),
  });
}

/** `mcsc evaluate`: tests a finished (or interrupted) run again, optionally on other data of the same task. */
export async function evaluateRun(
  root: string,
  options: { data?: Partial<TrainConfig['data']>; log?: (m: string) => void } = {},
): Promise<Report> {
  const dir = RunDir.open(root);
  dir.acquireLock(options.log ?? ((m: string) => console.error(m)));
  try {
    return await evaluateLocked(dir, options);
  } finally {
    dir.releaseLock();
  }
}

async function evaluateLocked(dir: RunDir, options: { data?: Partial<TrainConfig['data']>; log?: (m: string) => void }): Promise<Report> {
  const root = dir.root;
  const stored = dir.readConfig();
  const config = options.data ? resolveConfig(stored.preset, [stored, { data: options.data }], `${dir.configPath} with --data`) : stored;
  const checkpoint = dir.readCheckpoint();
  if (!checkpoint) throw new McscError(root, 'the run has no checkpoint yet, nothing to evaluate');
  const dataset = await loadData(config);
  if (options.data) checkSameClasses(dir, checkpoint, dataset);
  const best = checkpoint.best;
  if (!best.cnn || !best.trans) {
    // No validation result for a network (interrupted early, or no validation volumes): test the checkpoint's weights.
    const values = dir.readCheckpointTensors(checkpoint);
    for (const net of ['cnn', 'trans'] as const)
      if (!best[net]) dir.writeNetworkWeights(values, net, `final/${net}.safetensors`, { iteration: String(checkpoint.iteration) });
  }
  return finishRun(dir, {
    config,
    dataset,
    iterations: checkpoint.iteration,
    trainSeconds: checkpoint.elapsedSeconds,
    best,
    ...(options.log ? { log: options.log } : {}),
  });
}

/** `--data` must give the task the run was trained for: as many classes as its networks' heads output. */
function checkSameClasses(dir: RunDir, checkpoint: NonNullable<ReturnType<RunDir['readCheckpoint']>>, dataset: SegmentationDataset): void {
  const head = dir.readCheckpointHeader(checkpoint).entries.get(`${NETWORK_PARAMS.cnn.head}conv1.weight`);
  const trained = head?.shape[0];
  if (trained !== undefined && trained !== dataset.numClasses) {
    throw new McscError(
      `${dir.root} with --data`,
      `the data gives ${dataset.numClasses} classes (${dataset.classNames.join(', ')}; ${dataset.classOrigin ?? dataset.name}) but the run's networks were trained for ${trained}; expected data of the same task (or its class list in data.classes)`,
    );
  }
}

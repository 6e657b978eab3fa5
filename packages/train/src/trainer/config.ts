/**
 * The trainer's configuration: one JSON document, validated by zod, whose omitted fields take the
 * published MCSC defaults (docs/method/). Two presets: `paper` (the published run: 224 px, Swin-Tiny,
 * 40 000 iterations) and `cpu` (a run that trains, validates, tests and exports on 2 CPU cores in
 * minutes). Every field carries a description; `docs/trainer-config.md` is generated from them
 * (`configReference`, config-reference.ts).
 *
 * A config file only lists what differs from its preset: the file is deep-merged onto the preset's
 * overrides, then parsed, so `{"optim": {"iterations": 500}}` is a complete config.
 *
 * {@link resolveConfig} is the one way a {@link TrainConfig} is made from input: the CLI (preset, config
 * file, flags), a run's config.json (resume, `mcsc evaluate`), `mcsc compare`'s methods, the benches and
 * the tests all go through it. The preset is the one asked for, else the `preset` a config names, else
 * `cpu` (the schema's default): a config without a preset is a cpu config, never the paper values
 * labelled `cpu`.
 */
import { EMPTY_CLASS_RULES } from '@mcsc/core';
import { devicesOf, McscError, valueAt, type Device } from '@mcsc/graph';
import { z } from 'zod';
import { isJsonObject, readJsonFile } from '../data/json-file.js';
import { swinStages } from '../models/swin-unet.js';
import { swinUnetModelConfigSchema, unetModelConfigSchema } from '../models/model-config.js';

const int = (min: number) => z.number().int().min(min);

const syntheticSchema = z
  .strictObject({
    patients: int(3).default(40).describe('Synthetic patients generated (short-axis stacks).'),
    split: z
      .strictObject({
        train: int(1).default(30).describe('Training patients (their slices are the labeled and unlabeled pool).'),
        val: int(1).default(4).describe('Validation patients (volumes; best-checkpoint selection).'),
        test: int(1).default(6).describe('Test patients (volumes; the final report).'),
      })
      .prefault({})
      .describe('Patients per subset; must add up to `patients`.'),
    slicesPerPatient: z
      .union([int(2), z.tuple([int(2), int(2)])])
      .default([6, 10])
      .describe('Slices per patient: a number or an inclusive range [min, max].'),
    size: int(16).default(128).describe('Slice size in pixels (square).'),
    seed: z.number().int().default(1).describe('Seed of the generator and of the patient split (independent of the training seed).'),
  })
  .prefault({});

const labeledSchema = z.union([
  z.strictObject({
    patients: int(1).describe(
      'Label every slice of the first N training patients (ACDC: the SSL4MIS slice count for N when `rule` allows).',
    ),
  }),
  z.strictObject({ slices: int(1).describe('Label the first N training slices in list order (SSL4MIS).') }),
]);

const dataSchema = z
  .strictObject({
    source: z
      .enum(['synthetic', 'acdc', 'synapse', 'nifti'])
      .default('synthetic')
      .describe(
        "'synthetic': the embedded generator (no files); 'acdc': an SSL4MIS ACDC folder; 'synapse': a TransUNet Synapse folder; 'nifti': a NIfTI data-set config JSON.",
      ),
    path: z.string().min(1).optional().describe('Folder (acdc, synapse) or config file (nifti); required unless `source` is synthetic.'),
    synthetic: syntheticSchema.describe('The embedded synthetic cardiac data (used when `source` is synthetic).'),
    labeled: labeledSchema.default({ patients: 3 }).describe('Which training slices keep their labels: {"patients": N} or {"slices": N}.'),
    labeledRule: z
      .enum(['auto', 'cases', 'ssl4mis'])
      .default('auto')
      .describe(
        "How {patients: N} is resolved: 'ssl4mis' = the first SSL4MIS-table slice count for N (ACDC); 'cases' = all slices of the first N cases; 'auto' = ssl4mis for ACDC when N is in the table, else cases.",
      ),
    maxTrainSlices: int(1).optional().describe('Load only the first N training slices (acdc, synapse; smoke runs).'),
    valCases: z
      .array(z.string())
      .default([])
      .describe('Synapse: test cases used for validation instead (TransUNet has no validation split).'),
    maxValVolumes: int(1).optional().describe('Validate on at most N validation volumes (all by default).'),
    minValVolumes: int(0)
      .default(4)
      .describe(
        'acdc, synapse, nifti: when the data set has fewer validation volumes, move whole unlabeled training cases (the last in training order, at most half of them; never labeled or test cases) to validation until it has N; the log and the report name them. 0 = never.',
      ),
    classes: z
      .array(z.string().regex(/\S/, 'class names must not be blank'))
      .min(2)
      .max(256)
      .refine((names) => new Set(names).size === names.length, 'class names must be distinct')
      .optional()
      .describe(
        "Class names, background first; K is their count (acdc, synapse). Default: classes.json in the data folder, else the layout's (ACDC 4, Synapse 9) when the largest label is its last class, else from the labels (K = largest + 1). nifti, synthetic: renames only (K is fixed by the data). docs/method/data.md#classes",
      ),
  })
  .prefault({});

const modelSchema = z
  .strictObject({
    patchSize: int(16)
      .default(224)
      .describe(
        'Training and evaluation patch size (slices are zoomed to it, order 0); must equal transformer.imgSize and be a multiple of 16.',
      ),
    cnn: unetModelConfigSchema
      .prefault({ arch: 'unet' })
      .describe('The UNet (docs/method/networks.md#unet); numClasses and inChannels are taken from the data.'),
    transformer: swinUnetModelConfigSchema
      .prefault({ arch: 'swin-unet' })
      .describe('The Swin-UNet (docs/method/networks.md#swin-unet); numClasses and inChannels are taken from the data.'),
    projector: z
      .strictObject({
        hidden: int(1).default(256).describe('Hidden channels of the 1×1 projection heads.'),
        out: int(1).default(128).describe('Embedding channels (L2-normalised).'),
      })
      .prefault({})
      .describe('Projection heads of the contrastive loss (docs/method/networks.md#projectors).'),
    pretrainedSwin: z
      .string()
      .min(1)
      .optional()
      .describe('ImageNet Swin-Tiny weights (timm names, safetensors) to start the transformer from; random init when absent.'),
  })
  .prefault({});

const contrastSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Add the block contrastive loss L_c (MCSC); off = cross teaching or supervised only.'),
    weight: z.number().min(0).default(0.001).describe('Weight of L_c in L_cnn and in L_trans (0.001, docs/method/losses.md#total-loss).'),
    scales: z
      .array(z.enum(['full', 'eighth']))
      .min(1)
      .default(['full', 'eighth'])
      .refine((s) => new Set(s).size === s.length, 'scales must not repeat')
      .describe("Scales contrasted: 'full' (1/1, decoder output features) and 'eighth' (1/8); one scale = single-scale MCSC."),
    temperature: z.number().positive().default(0.1).describe('τ of the supervised contrastive loss.'),
    blockSize: z
      .strictObject({
        full: int(1).default(19).describe('Block side b at 1/1 (19 at 224 px).'),
        eighth: int(1).default(14).describe('Block side b at 1/8 (14 at 28 px).'),
      })
      .prefault({})
      .describe('Block sides of the block sampling (docs/method/losses.md#block-sampling).'),
    blockCoverage: z
      .enum(['reference', 'full'])
      .default('reference')
      .describe("'reference': G = ⌊H/b⌋ − 1 blocks per side (published); 'full': every whole block."),
    labelOrder: z
      .enum(['paper', 'reference'])
      .default('paper')
      .describe(
        "'paper': each point under its own label; 'reference': the published code's (row, image, column) label order, a reproduction aid.",
      ),
    classBalanced: z
      .boolean()
      .default(true)
      .describe(
        'Class-balanced denominator w_ij = n_{y_j} − [j ∈ P(i)] (MCSC); false = plain SupCon denominator (the "without class balancing" ablation).',
      ),
    allSlicesFrom: int(0)
      .default(3000)
      .describe('Iteration from which unlabeled slices (with cross pseudo labels) enter L_c; before it only labeled slices do.'),
    groupsPerStep: int(1)
      .nullable()
      .default(null)
      .describe('Contrast a random subset of this many block groups per step (drawn afresh every step); null = all groups, as the paper.'),
  })
  .prefault({});

const lossSchema = z
  .strictObject({
    crossTeaching: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe('Cross teaching on unlabeled slices: Dice(softmax_u, argmax of the other network) (Luo et al. 2022).'),
        weight: z.number().min(0).default(0.1).describe('Final consistency weight of λ(t).'),
        rampupLength: z.number().min(0).default(200).describe('Ramp-up length of λ(t), in units of `rampupDivisor` iterations.'),
        rampupDivisor: int(1).default(150).describe('λ(t) = weight·exp(−5(1 − min(⌊t/divisor⌋, length)/length)²).'),
      })
      .prefault({})
      .describe('Cross teaching between the CNN and the Transformer.'),
    contrast: contrastSchema.describe('The multi-scale class-balanced block contrastive loss (docs/method/losses.md).'),
  })
  .prefault({});

const optimSchema = z
  .strictObject({
    iterations: int(1).default(40000).describe('T, optimizer steps.'),
    batchSize: int(1).default(4).describe('B, slices per batch.'),
    labeledBatchSize: int(1).default(2).describe('B_l, labeled slices at the head of each batch.'),
    cnnLr: z.number().positive().default(5e-4).describe('Base lr of UNet + classifier1: cnnLr·(1 − t/T)^power.'),
    transformerLr: z
      .number()
      .positive()
      .default(1e-4)
      .describe('Base lr of Swin-UNet + classifier2 (base_lr/5), times the warm-up-then-poly factor.'),
    projectorLr: z.number().positive().default(5e-4).describe('Base lr of the projectors: projectorLr·(1 − t/T)^power.'),
    transformerWarmup: z
      .boolean()
      .default(true)
      .describe(
        'Warm-up-then-poly factor on the transformer lr (docs/method/optimisation.md#transformer-warm-up); false = the same poly decay as the CNN.',
      ),
    polyPower: z.number().min(0).default(0.9).describe('Exponent of the poly decays.'),
    weightDecay: z.number().min(0).default(5e-4).describe('Decoupled weight decay of AdamW, all three groups.'),
    betas: z
      .tuple([z.number().min(0).max(1), z.number().min(0).max(1)])
      .default([0.9, 0.999])
      .describe('AdamW β₁, β₂.'),
    eps: z.number().positive().default(1e-8).describe('AdamW ε.'),
    unlabeledStream: z
      .enum(['perEpoch', 'persistent'])
      .default('perEpoch')
      .describe("Two-stream sampler: 'perEpoch' restarts the unlabeled stream every epoch (reference); 'persistent' keeps it running."),
  })
  .prefault({});

const augmentSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Training augmentation (docs/method/data.md#augmentation); off = only the zoom to the patch size.'),
    rotFlipProbability: z.number().min(0).max(1).default(0.5).describe('Probability of rot90 + flip.'),
    rotateProbability: z.number().min(0).max(1).default(0.5).describe('Probability of a small rotation when rot90 + flip was not drawn.'),
    maxAngle: int(0).default(20).describe('Rotation angles are integers in [−maxAngle, maxAngle) degrees.'),
  })
  .prefault({});

const runSchema = z
  .strictObject({
    logEvery: int(1).default(10).describe('Write a JSONL log line every N iterations.'),
    validateEvery: int(1)
      .default(200)
      .describe('Validate (per-volume Dice on the validation volumes) every N iterations and at the end; best checkpoints by mean Dice.'),
    checkpointEvery: int(1).default(500).describe('Write a resumable checkpoint every N iterations (and on Ctrl-C and at the end).'),
    evalBatch: int(1).default(16).describe('Slices per inference batch in validation and testing.'),
    spacing: z
      .enum(['voxel', 'mm'])
      .default('mm')
      .describe("Unit of HD95/ASD: 'mm' when the volumes record a spacing (else voxels), 'voxel' always (the reference)."),
    overlays: int(0).default(4).describe('PNG overlays of test predictions written to the report (slices).'),
    emptyClass: z
      .enum(EMPTY_CLASS_RULES)
      .default('published')
      .describe(
        "Volumes whose ground truth lacks a class: 'published' scores them (Dice 0; SSL4MIS, the paper's numbers); 'ignore' leaves those (volume, class) pairs out of the class means (MONAI ignore_empty). Stated in every report.",
      ),
  })
  .prefault({});

/** Devices training accepts: those of onnxruntime-node in @mcsc/graph's one device table. */
export const TRAIN_DEVICES = devicesOf('node') as [Device, ...Device[]];
/** `runtime.device` (and `--device`). */
export const deviceSchema = z.enum(TRAIN_DEVICES);

/** The presets (`preset`, `--preset`). */
export const presetSchema = z.enum(['paper', 'cpu']);
export type PresetName = z.output<typeof presetSchema>;

const runtimeSchema = z
  .strictObject({
    device: deviceSchema
      .default('cpu')
      .describe(`Device: ${TRAIN_DEVICES.map((d) => `'${d}'`).join(' or ')} (onnxruntime-node execution provider).`),
    threads: int(1)
      .optional()
      .describe(
        "Intra-op threads per node (default: onnxruntime's choice, one per core, in the sequential execution mode; given explicitly, one per core, in the parallel one, where 2 threads per node made the MCSC step 10–20 % faster at cpu and up to a third faster at paper than 1 on 2 cores, docs/engine.md#execution-mode).",
      ),
    executionMode: z
      .enum(['sequential', 'parallel'])
      .default('sequential')
      .describe(
        "onnxruntime's execution mode. 'parallel' runs the two networks' independent nodes at the same time (inter-op threads, each node on the intra-op threads); 'sequential' runs one node at a time on the intra-op threads. Default 'sequential' (onnxruntime's): measured on 2 cores, the one faster on one machine and up to 2× faster on another, the same losses (docs/engine.md#execution-mode). 'parallel' gave a lower peak RSS in the paper preset's labeled-only phase.",
      ),
    interOpThreads: int(1)
      .optional()
      .describe("Inter-op threads of the parallel execution mode (default: onnxruntime's choice, one per core)."),
    memPattern: z
      .boolean()
      .default(false)
      .describe(
        "onnxruntime's memory pattern (session option enableMemPattern; sequential execution mode only): from the second run on, a run's whole planned block is allocated at once, beside what the first run left in the arena. Default off (the paper preset): there it added 1–2 GiB of peak RSS for no faster step; on in the cpu preset, where its step was ~10 % faster for ~0.3 GiB (docs/engine.md#memory-settings).",
      ),
    cpuMemArena: z
      .boolean()
      .default(false)
      .describe(
        "onnxruntime's CPU arena (session option enableCpuMemArena): freed memory is kept for later runs instead of being returned to the system. Default off (the paper preset): there the arena grew in 1 GiB regions to 3 GiB for ~2.1 GiB in use, and without it the step's peak RSS fell from 4.8 to 3.0 GiB (all-slices phase) and 3.4 to 3.0 GiB (labeled-only) for a 3–37 % slower step; on in the cpu preset, whose memory pattern needs it (pattern on, arena off: ~3× slower) (docs/engine.md#memory-settings).",
      ),
  })
  .prefault({});

export const trainConfigSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .regex(/^[\w.-]+$/, 'name may hold letters, digits, _ . - only')
      .default('mcsc')
      .describe('Run name; the run directory is runs/<name> unless --out is given.'),
    preset: presetSchema
      .default('cpu')
      .describe(
        "The preset the config is resolved from: its values lie under the config's own. Taken from `--preset` when given, else from the config; absent = 'cpu'.",
      ),
    seed: z.number().int().default(1337).describe('Seeds parameter init, dropout, the sampler, augmentation and block shuffles.'),
    data: dataSchema.describe('Where the slices and volumes come from, and which are labeled.'),
    model: modelSchema.describe('Networks and projection heads.'),
    loss: lossSchema.describe('Which MCSC ingredients are on, with their weights.'),
    optim: optimSchema.describe('AdamW, its three parameter groups and their schedules (docs/method/optimisation.md).'),
    augment: augmentSchema.describe('Training augmentation.'),
    run: runSchema.describe('Logging, validation, checkpoints and reporting.'),
    runtime: runtimeSchema.describe('Where the graphs run.'),
  })
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (c.optim.labeledBatchSize > c.optim.batchSize)
      issue(['optim', 'labeledBatchSize'], `must not exceed optim.batchSize ${c.optim.batchSize}, got ${c.optim.labeledBatchSize}`);
    if (c.model.patchSize % 16 !== 0)
      issue(['model', 'patchSize'], `must be a multiple of 16 (four UNet poolings), got ${c.model.patchSize}`);
    if (c.model.transformer.imgSize !== c.model.patchSize)
      issue(['model', 'transformer', 'imgSize'], `must equal model.patchSize ${c.model.patchSize}, got ${c.model.transformer.imgSize}`);
    else {
      try {
        swinStages(c.model.transformer);
      } catch (e) {
        issue(['model', 'transformer'], (e as Error).message);
      }
    }
    const s = c.data.synthetic;
    if (s.split.train + s.split.val + s.split.test !== s.patients) {
      issue(
        ['data', 'synthetic', 'split'],
        `train + val + test must equal patients ${s.patients}, got ${s.split.train + s.split.val + s.split.test}`,
      );
    }
    if (c.runtime.interOpThreads !== undefined && c.runtime.executionMode !== 'parallel')
      issue(['runtime', 'interOpThreads'], "applies to runtime.executionMode 'parallel' only (the default is 'sequential')");
    if (c.data.source !== 'synthetic' && c.data.path === undefined) issue(['data', 'path'], `is required for source '${c.data.source}'`);
    const side = { full: c.model.patchSize, eighth: c.model.patchSize / 8 };
    for (const scale of c.loss.contrast.enabled ? c.loss.contrast.scales : []) {
      if (c.loss.contrast.blockSize[scale] > side[scale]) {
        issue(
          ['loss', 'contrast', 'blockSize', scale],
          `must not exceed the ${scale} feature map side ${side[scale]}, got ${c.loss.contrast.blockSize[scale]}`,
        );
      }
    }
  });

export type TrainConfig = z.output<typeof trainConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

/** A deep-partial config as it comes in (a config file, a test's fields): checked when resolved. */
export type ConfigOverrides = { [key: string]: unknown };

type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** A deep-partial config typed against the schema: what code writes (presets, CLI flags, compare's methods). */
export type ConfigPatch = DeepPartial<TrainConfigInput>;

/**
 * Preset overrides, applied before the user's config. `paper` is the schema's defaults.
 * `cpu`: the UNet as published and a narrow Swin-UNet (embed 24, window 4) at 128 px (the network
 * preset `cpu` of models/presets.ts), block sides scaled with the patch (11 at 128, 8 at 16), 8 of the
 * 100 block groups per step, the schedules scaled to 1,200 iterations: a run that trains, tests and
 * exports in under 10 minutes on 2 cores (measured; see README).
 */
export const PRESETS: Readonly<Record<PresetName, ConfigPatch>> = Object.freeze({
  paper: {},
  cpu: {
    name: 'mcsc-cpu',
    model: {
      patchSize: 128,
      // no gradient checkpointing: memory is not what bounds this preset (docs/engine.md#activation-memory)
      transformer: { arch: 'swin-unet', imgSize: 128, embedDim: 24, windowSize: 4, gradientCheckpointing: false },
    },
    loss: {
      // The paper's schedule scaled to T = 1200: unlabeled slices join the contrast at 20 % of the run
      // (paper: 3000/40000, when its networks are already good), λ reaches 0.1 at 75 % (3 · 300 = 900;
      // paper: 150 · 200 = 30000 of 40000).
      contrast: { blockSize: { full: 11, eighth: 8 }, groupsPerStep: 8, allSlicesFrom: 240 },
      crossTeaching: { rampupDivisor: 3, rampupLength: 300 },
    },
    // The narrow Swin-UNet trained from scratch for 500 steps learns too slowly at the paper's 1e-4
    // (which assumes ImageNet weights and 40 000 steps): supervised-only test Dice of its Transformer,
    // seed 1337, was 44.2 at 1e-4, 47.8 at 5e-4, 50.1 at 1e-3 (README, "Does the unlabeled data help?").
    // 1,200 iterations: the README's main job took 7 min 9 s – 8 min 11 s with them on 2 cores (fresh
    // clones, 2026-12-03; it had 500 while a step took 0.9–1.1 s, then 800 at 0.6 s).
    optim: { iterations: 1200, transformerLr: 1e-3 },
    run: { logEvery: 5, validateEvery: 50, checkpointEvery: 100 },
    // its step ~10 % faster with the memory pattern (which needs the arena), for ~0.3 GiB (docs/engine.md#memory-settings)
    runtime: { memPattern: true, cpuMemArena: true },
  },
});

/**
 * Recursively merges plain objects; arrays and scalars of `over` replace those of `base`. Keys are
 * defined as own properties, so a `"__proto__"` key (JSON.parse keeps it as an own key) stays a key —
 * which the strict schema then reports — and never becomes the merged object's prototype.
 */
export function deepMerge(base: ConfigOverrides, over: ConfigOverrides): ConfigOverrides {
  const out: ConfigOverrides = {};
  for (const [key, value] of [...Object.entries(base), ...Object.entries(over)]) {
    const prev = Object.hasOwn(out, key) ? out[key] : undefined;
    Object.defineProperty(out, key, {
      value: isJsonObject(prev) && isJsonObject(value) ? deepMerge(prev, value) : value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Thrown for an invalid config: the source, then one line per problem (`field.path: message`). */
export class ConfigError extends McscError {
  override name = 'ConfigError';
  constructor(
    readonly source: string,
    problems: readonly string[],
  ) {
    super(source, `invalid trainer config\n${problems.map((p) => `  ${p}`).join('\n')}`, { problems });
  }
}

/**
 * The one way a {@link TrainConfig} is made: the preset's overrides, then `overrides` in order (a config
 * file, then CLI flags; a run's config.json; a method's switches), deep-merged (objects merge, arrays and
 * scalars replace) and validated. Unknown fields, wrong types and inconsistent values are all reported.
 *
 * The preset is `preset` when given, else the `preset` the overrides name, else `'cpu'` (the schema's
 * default). An override that names another preset than the one resolved from is an error: its values
 * would be labelled with a preset they do not come from.
 */
export function resolveConfig(preset: PresetName | undefined, overrides: readonly ConfigOverrides[] = [], source = 'config'): TrainConfig {
  const chosen = choosePreset(preset, overrides, source);
  const merged = [...overrides, { preset: chosen }].reduce<ConfigOverrides>((acc, o) => deepMerge(acc, o), PRESETS[chosen]);
  const result = trainConfigSchema.safeParse(merged);
  if (result.success) return result.data;
  throw new ConfigError(
    source,
    result.error.issues.map((i) => {
      const path = i.path.length ? i.path.join('.') : '(root)';
      const got = i.code === 'custom' || i.code === 'unrecognized_keys' ? '' : describeValue(valueAt(merged, i.path));
      return `${path}: ${i.message}${got}`;
    }),
  );
}

function choosePreset(preset: PresetName | undefined, overrides: readonly ConfigOverrides[], source: string): PresetName {
  const names = presetSchema.options;
  const expected = `must be ${names.map((n) => `'${n}'`).join(' or ')}`;
  if (preset !== undefined && !names.includes(preset))
    throw new ConfigError(source, [`preset: ${expected}, got ${JSON.stringify(preset)}`]);
  const named = overrides.map((o) => o.preset).filter((p) => p !== undefined);
  const bad = named.find((p) => !names.includes(p as PresetName));
  if (bad !== undefined) throw new ConfigError(source, [`preset: ${expected}${describeValue(bad)}`]);
  const chosen = preset ?? (named.at(-1) as PresetName | undefined) ?? trainConfigSchema.shape.preset.parse(undefined);
  const other = named.find((p) => p !== chosen);
  if (other !== undefined) {
    throw new ConfigError(source, [
      `preset: the config names ${JSON.stringify(other)} but is resolved from preset ${JSON.stringify(chosen)}; give one preset`,
    ]);
  }
  return chosen;
}

/**
 * A config document that names its own preset (a config file's content, a run's config.json):
 * {@link resolveConfig} with the document's `preset` (absent = cpu).
 */
export function parseConfig(value: unknown, source = 'config'): TrainConfig {
  if (!isJsonObject(value)) throw new ConfigError(source, [`(root): must be an object${describeValue(value)}`]);
  return resolveConfig(undefined, [value], source);
}

/**
 * Reads a JSON config file (a deep-partial config) with the project's one JSON reader
 * (data/json-file.ts): a regular file of bounded size and nesting, no prototype keys (`__proto__`,
 * `constructor`, `prototype`), so that neither parsing nor {@link deepMerge} can overflow the stack or
 * reach a prototype.
 */
export function readConfigFile(path: string): ConfigOverrides {
  let json: unknown;
  try {
    json = readJsonFile(path, 'trainer config');
  } catch (e) {
    // One problem line, without readJsonFile's `trainer config <path>: ` prefix (ConfigError names the file).
    const prefix = `trainer config ${path}: `;
    const message = (e as Error).message.startsWith(prefix) ? (e as Error).message.slice(prefix.length) : (e as Error).message;
    const reason = /^cannot read: (.*)$/s.exec(message) ?? /^invalid JSON: (.*)$/s.exec(message);
    if (!reason) throw new ConfigError(path, [message]);
    throw new ConfigError(path, [
      message.startsWith('cannot read') ? `cannot read the file (${reason[1]})` : `not valid JSON (${reason[1]})`,
    ]);
  }
  if (!isJsonObject(json)) throw new ConfigError(path, [`(root): must be a JSON object, got ${describeValue(json).slice(6)}`]);
  return json;
}

function describeValue(v: unknown): string {
  if (v === undefined) return '';
  const text = JSON.stringify(v);
  return `, got ${text !== undefined && text.length > 80 ? `${text.slice(0, 77)}...` : text}`;
}

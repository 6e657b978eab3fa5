import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deepMerge, parseConfig, readConfigFile, resolveConfig, type ConfigOverrides } from '../../src/trainer/config';
import { configReference } from '../../src/trainer/config-reference';
import { methodConfig } from '../../src/trainer/compare';
import { configFromCli } from '../../src/cli/train';
import { configProblems } from './tiny';

const dir = mkdtempSync(join(tmpdir(), 'mcsc-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const problems = configProblems;

describe('trainer config', () => {
  test('the paper preset is the published run (docs/method/)', () => {
    const c = resolveConfig('paper');
    expect(c.seed).toBe(1337);
    expect(c.model.patchSize).toBe(224);
    expect(c.model.transformer).toMatchObject({
      imgSize: 224,
      embedDim: 96,
      depths: [2, 2, 2, 2],
      numHeads: [3, 6, 12, 24],
      windowSize: 7,
    });
    expect(c.optim).toMatchObject({
      iterations: 40000,
      batchSize: 4,
      labeledBatchSize: 2,
      cnnLr: 5e-4,
      transformerLr: 1e-4,
      projectorLr: 5e-4,
      weightDecay: 5e-4,
    });
    expect(c.loss.crossTeaching).toMatchObject({ enabled: true, weight: 0.1, rampupLength: 200, rampupDivisor: 150 });
    expect(c.loss.contrast).toMatchObject({
      enabled: true,
      weight: 0.001,
      scales: ['full', 'eighth'],
      temperature: 0.1,
      blockSize: { full: 19, eighth: 14 },
      blockCoverage: 'reference',
      labelOrder: 'paper',
      classBalanced: true,
      allSlicesFrom: 3000,
      groupsPerStep: null,
    });
  });

  test('the cpu preset is valid and smaller', () => {
    const c = resolveConfig('cpu');
    expect(c.preset).toBe('cpu');
    expect(c.model.patchSize).toBe(c.model.transformer.imgSize);
    expect(c.optim.iterations).toBeLessThan(2000);
    expect(c.loss.contrast.groupsPerStep).not.toBeNull();
  });

  test('a config without a preset is the cpu preset, never the paper values labelled cpu', () => {
    const cpu = resolveConfig('cpu');
    expect(parseConfig({})).toEqual(cpu);
    expect(resolveConfig(undefined)).toEqual(cpu);
    expect(parseConfig({}).model.patchSize).toBe(128);
    expect(parseConfig({ preset: 'cpu' })).toEqual(cpu);
    expect(parseConfig({ preset: 'paper' })).toEqual(resolveConfig('paper'));
    // the preset a config names is the one it is resolved from
    const paper = resolveConfig(undefined, [{ preset: 'paper' }, { optim: { iterations: 7 } }]);
    expect([paper.preset, paper.model.patchSize, paper.optim.iterations]).toEqual(['paper', 224, 7]);
    // and every preset's values carry its own label
    for (const preset of ['paper', 'cpu'] as const) expect(resolveConfig(preset).preset).toBe(preset);
  });

  test('a config naming another preset than the one asked for is an error', () => {
    expect(problems(() => resolveConfig('cpu', [{ preset: 'paper' }], 'p.json'))).toEqual([
      'preset: the config names "paper" but is resolved from preset "cpu"; give one preset',
    ]);
    expect(problems(() => resolveConfig(undefined, [{ preset: 'gpu' }]))).toEqual(["preset: must be 'paper' or 'cpu', got \"gpu\""]);
    expect(problems(() => parseConfig([1], 'x.json'))).toEqual(['(root): must be an object, got [1]']);
  });

  test('overrides deep-merge onto the preset; arrays replace', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] }, d: 2 })).toEqual({ a: { b: 1, c: [3] }, d: 2 });
    const c = resolveConfig('cpu', [{ optim: { iterations: 7 } }, { loss: { contrast: { scales: ['full'] } } }]);
    expect(c.optim.iterations).toBe(7);
    expect(c.optim.batchSize).toBe(4);
    expect(c.loss.contrast.scales).toEqual(['full']);
    expect(c.model.patchSize).toBe(128);
  });

  const invalid: [string, ConfigOverrides, RegExp][] = [
    ['unknown field', { optim: { iters: 5 } }, /^optim: Unrecognized key: "iters"$/],
    ['wrong type', { optim: { iterations: 'many' } }, /^optim\.iterations: .*expected number.*, got "many"/],
    ['non-integer', { optim: { batchSize: 2.5 } }, /^optim\.batchSize: .*expected int.*, got 2\.5/],
    ['bad enum', { loss: { contrast: { blockCoverage: 'half' } } }, /^loss\.contrast\.blockCoverage: .*"reference".*"full".*, got "half"/],
    ['B_l > B', { optim: { batchSize: 2, labeledBatchSize: 3 } }, /^optim\.labeledBatchSize: must not exceed optim\.batchSize 2, got 3/],
    [
      'Swin size ≠ patch',
      { model: { transformer: { arch: 'swin-unet', imgSize: 64 } } },
      /^model\.transformer\.imgSize: must equal model\.patchSize 128, got 64/,
    ],
    [
      'patch not /16',
      { model: { patchSize: 120, transformer: { arch: 'swin-unet', imgSize: 120 } } },
      /^model\.patchSize: must be a multiple of 16/,
    ],
    [
      'split sum',
      { data: { synthetic: { patients: 10 } } },
      /^data\.synthetic\.split: train \+ val \+ test must equal patients 10, got 40/,
    ],
    ['path required', { data: { source: 'acdc' } }, /^data\.path: is required for source 'acdc'/],
    [
      'block too large',
      { loss: { contrast: { blockSize: { eighth: 20 } } } },
      /^loss\.contrast\.blockSize\.eighth: must not exceed the eighth feature map side 16, got 20/,
    ],
    ['repeated scale', { loss: { contrast: { scales: ['full', 'full'] } } }, /^loss\.contrast\.scales: scales must not repeat/],
    ['bad name', { name: 'a b' }, /^name: name may hold letters/],
    ['bad labeled', { data: { labeled: { patients: 0 } } }, /^data\.labeled/],
    [
      'inter-op threads, sequential',
      { runtime: { executionMode: 'sequential', interOpThreads: 2 } },
      /^runtime\.interOpThreads: applies to runtime\.executionMode 'parallel' only/,
    ],
    ['bad execution mode', { runtime: { executionMode: 'async' } }, /^runtime\.executionMode: .*"sequential".*"parallel".*, got "async"/],
  ];
  test.each(invalid)('rejects %s with the field path, the expectation and the value', (_, overrides, message) => {
    const found = problems(() => resolveConfig('cpu', [overrides], 'my.json'));
    expect(found.some((p) => message.test(p))).toBe(true);
  });

  test('reports every problem at once, naming the source', () => {
    try {
      resolveConfig('cpu', [{ seed: 'x', optim: { eps: -1 } }], 'runs/x.json');
      throw new Error('unreachable');
    } catch (e) {
      expect((e as Error).message).toMatch(/^runs\/x\.json: invalid trainer config\n {2}seed: .*\n {2}optim\.eps: /);
    }
  });

  test('an unknown preset and unreadable files are config errors', () => {
    expect(problems(() => resolveConfig('gpu' as never))).toEqual(["preset: must be 'paper' or 'cpu', got \"gpu\""]);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"optim": {');
    expect(problems(() => readConfigFile(bad))[0]).toMatch(/^not valid JSON/);
    writeFileSync(bad, '[1]');
    expect(problems(() => readConfigFile(bad))).toEqual(['(root): must be a JSON object, got [1]']);
    expect(problems(() => readConfigFile(join(dir, 'missing.json')))[0]).toMatch(/^cannot read the file/);
  });

  test('CLI flags override the config file, which overrides the preset', () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ seed: 5, optim: { iterations: 50 }, data: { labeled: { patients: 2 } } }));
    const c = configFromCli({ preset: 'cpu', config: file, labeled: 4, iterations: 9, progress: true });
    expect([c.seed, c.optim.iterations, c.data.labeled]).toEqual([5, 9, { patients: 4 }]);
    expect(c.data.source).toBe('synthetic');
    // without --preset, the config file's preset is used; --preset naming another one is an error
    const paperFile = join(dir, 'paper.json');
    writeFileSync(paperFile, JSON.stringify({ preset: 'paper', optim: { iterations: 50 } }));
    const paper = configFromCli({ config: paperFile, progress: true });
    expect([paper.preset, paper.model.patchSize, paper.optim.iterations]).toEqual(['paper', 224, 50]);
    expect(problems(() => configFromCli({ preset: 'cpu', config: paperFile, progress: true }))[0]).toMatch(
      /^preset: the config names "paper"/,
    );
    expect(configFromCli({ progress: true })).toEqual(resolveConfig('cpu'));
  });

  test('methods switch the ingredients of one config', () => {
    const base = resolveConfig('cpu');
    const sup = methodConfig(base, 'supervised', 3);
    expect([sup.loss.crossTeaching.enabled, sup.loss.contrast.enabled, sup.seed]).toEqual([false, false, 3]);
    expect(methodConfig(base, 'cross-teaching').loss.contrast.enabled).toBe(false);
    expect(methodConfig(base, 'mcsc-unbalanced').loss.contrast.classBalanced).toBe(false);
    expect(methodConfig(base, 'mcsc-single-scale').loss.contrast.scales).toEqual(['full']);
    expect(methodConfig(base, 'mcsc').optim).toEqual(base.optim);
    // a method keeps every other field of the compared config, its preset included
    const paper = resolveConfig('paper', [{ data: { labeled: { slices: 10 } } }]);
    const { loss: _l, seed: _s, name: _n, ...rest } = methodConfig(paper, 'supervised', 2);
    const { loss: _l2, seed: _s2, name: _n2, ...expected } = paper;
    expect(rest).toEqual(expected);
    expect(() => methodConfig(base, 'nope' as never)).toThrow(/method must be one of supervised, cross-teaching/);
  });

  test('a resolved config parses back to itself (config.json of a run)', () => {
    const c = resolveConfig('cpu', [{ data: { labeled: { slices: 10 } } }]);
    expect(parseConfig(JSON.parse(JSON.stringify(c)))).toEqual(c);
  });

  test('docs/trainer-config.md is generated from the schema and lists every field', () => {
    const reference = configReference();
    for (const field of [
      'optim.iterations',
      'loss.contrast.groupsPerStep',
      'loss.contrast.classBalanced',
      'data.labeled',
      'model.cnn.dropout',
      'run.validateEvery',
    ]) {
      expect(reference).toContain(`\`${field}\``);
    }
    const doc = readFileSync(join(__dirname, '../../../../docs/trainer-config.md'), 'utf8');
    expect(doc).toContain(reference);
  });
});

/**
 * Class count and names from the config, classes.json, the layout or the labels (data/classes.ts), for
 * the ACDC (h5), Synapse (npz) and NIfTI sources; a label beyond the declared count names the file,
 * the position, the value and where the count came from.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNifti } from '@mcsc/infer';
import { loadAcdc } from '../../src/data/acdc';
import { checkClassNames, classesFromLabels, describeClasses } from '../../src/data/classes';
import { buildNiftiDataset } from '../../src/data/nifti-dataset';
import { loadSynapse } from '../../src/data/synapse';
import { loadData } from '../../src/trainer/data';
import { configProblems, tinyConfig } from '../trainer/tiny';
import { tempDir } from './helpers';
import { classBoxes, writeAcdcLayout, writeAcdcSliceFile, writeSynapseLayout } from './layout-fixtures';

const dir = tempDir('classes');
const BRAIN = ['background', 'tumour', 'oedema'];

describe('a 3-class set in the ACDC layout', () => {
  const withFile = join(dir, 'acdc-3-json');
  const without = join(dir, 'acdc-3');
  beforeAll(async () => {
    await writeAcdcLayout(withFile, { patients: 2, classes: 3, classesJson: BRAIN });
    await writeAcdcLayout(without, { patients: 2, classes: 3 });
  });

  test('with classes.json: its names and K = 3', async () => {
    const ds = await loadAcdc(withFile);
    expect(ds.numClasses).toBe(3);
    expect(ds.classNames).toEqual(BRAIN);
    expect(ds.classSource).toBe('classes.json');
    expect(ds.classOrigin).toBe(`classes.json ${join(withFile, 'classes.json')}`);
  });

  test('without classes.json: K from the labels, not the four ACDC classes', async () => {
    const ds = await loadAcdc(without);
    expect(ds.numClasses).toBe(3);
    expect(ds.classNames).toEqual(['background', 'class 1', 'class 2']);
    expect(ds.classSource).toBe('labels');
    expect(ds.classOrigin).toBe('the labels (largest value 2)');
  });

  test('the config overrides classes.json', async () => {
    const ds = await loadAcdc(withFile, { classes: ['bg', 'a', 'b', 'c'] });
    expect(ds.numClasses).toBe(4);
    expect(ds.classNames).toEqual(['bg', 'a', 'b', 'c']);
    expect(ds.classSource).toBe('config');
    expect(ds.classOrigin).toBe('data.classes in the trainer config');
  });

  test('the trainer passes data.classes to the loader', async () => {
    const config = tinyConfig({
      data: { source: 'acdc', path: withFile, labeled: { patients: 1 }, classes: ['bg', 'x', 'y'], minValVolumes: 0 },
    });
    const ds = await loadData(config);
    expect(ds.classNames).toEqual(['bg', 'x', 'y']);
    expect(ds.classSource).toBe('config');
    const fromFile = await loadData(tinyConfig({ data: { source: 'acdc', path: withFile, labeled: { patients: 1 }, minValVolumes: 0 } }));
    expect(fromFile.classNames).toEqual(BRAIN);
  });
});

test('the ACDC layout default when the labels reach its last class', async () => {
  const root = join(dir, 'acdc-4');
  await writeAcdcLayout(root, { patients: 1, classes: 4 });
  const ds = await loadAcdc(root);
  expect(ds.classNames).toEqual(['background', 'RV', 'Myo', 'LV']);
  expect(ds.classSource).toBe('layout default');
  expect(ds.classOrigin).toBe("the ACDC layout's default");
  // More classes than the layout has: K from the labels, no error.
  const six = join(dir, 'acdc-6');
  await writeAcdcLayout(six, { patients: 1, classes: 6 });
  const ds6 = await loadAcdc(six);
  expect(ds6.numClasses).toBe(6);
  expect(ds6.classSource).toBe('labels');
});

describe('a label value beyond the declared classes', () => {
  const root = join(dir, 'acdc-bad');
  let slicePath = '';
  let volumePath = '';
  beforeAll(async () => {
    const written = await writeAcdcLayout(root, { patients: 2, classes: 3, classesJson: BRAIN });
    slicePath = join(root, 'data', 'slices', `${written.slices[4]}.h5`);
    volumePath = join(root, 'data', `${written.test[0]}.h5`);
  });

  test('names the file, the pixel, the value and where the count came from (classes.json)', async () => {
    const { image, label } = classBoxes(1, 8, 6, 3, 1);
    label[2 * 6 + 4] = 5;
    await writeAcdcSliceFile(slicePath, image, label, [8, 6]);
    await expect(loadAcdc(root)).rejects.toThrow(
      `ACDC slice ${slicePath}: dataset 'label': label value 5 at y 2, x 4 is out of range, expected 0 … 2 (3 classes, from classes.json ${join(root, 'classes.json')})`,
    );
  });

  test('from the config', async () => {
    await expect(loadAcdc(root, { classes: ['bg', 'a', 'b'] })).rejects.toThrow(
      `ACDC slice ${slicePath}: dataset 'label': label value 5 at y 2, x 4 is out of range, expected 0 … 2 (3 classes, from data.classes in the trainer config)`,
    );
    // Six classes admit it: the slice loads.
    await expect(loadAcdc(root, { classes: ['bg', 'a', 'b', 'c', 'd', 'e'] })).resolves.toMatchObject({ numClasses: 6 });
  });

  test('in a volume: names the slice too', async () => {
    const { image, label } = classBoxes(1, 8, 6, 3, 1);
    await writeAcdcSliceFile(slicePath, image, label, [8, 6]); // the slice is fine again
    const { writeH5 } = await import('./helpers');
    const v = classBoxes(3, 8, 6, 3, 0);
    v.label[(2 * 8 + 1) * 6 + 3] = 5;
    await writeH5(volumePath, { image: { data: v.image, shape: [3, 8, 6] }, label: { data: v.label, shape: [3, 8, 6] } });
    await expect(loadAcdc(root)).rejects.toThrow(
      `ACDC volume ${volumePath}: dataset 'label': label value 5 at slice 2, y 1, x 3 is out of range, expected 0 … 2 (3 classes, from classes.json`,
    );
    // Without classes.json, K comes from the labels: 6 classes, named by number.
    rmSync(join(root, 'classes.json'));
    const ds = await loadAcdc(root);
    expect([ds.numClasses, ds.classSource]).toEqual([6, 'labels']);
  });
});

describe('classes.json is checked', () => {
  const root = join(dir, 'acdc-json');
  const file = join(root, 'classes.json');
  beforeAll(() => writeAcdcLayout(root, { patients: 1, classes: 3 }));
  test.each([
    ['not JSON', '["background", ', /^classes file .*classes\.json: invalid JSON/],
    [
      'an object',
      '{"0": "background"}',
      /classes file .*: the class list must be a JSON array of 2 … 256 distinct, non-empty class names, background first .*got \{"0":"background"\}$/,
    ],
    ['one name', '["background"]', /the class list has 1 name, expected a JSON array of 2 … 256/],
    ['a number', '["background", 3]', /the class list\[1\] must be a non-empty string, got 3/],
    ['a blank name', '["background", " "]', /the class list\[1\] must be a non-empty string, got " "/],
    ['a repeated name', '["background", "a", "a"]', /the class list names "a" twice/],
    ['a prototype key', '[{"__proto__": 1}]', /key "__proto__" in 0 is not allowed/],
  ])('%s', async (_, text, message) => {
    writeFileSync(file, text);
    await expect(loadAcdc(root)).rejects.toThrow(message);
  });
});

describe('Synapse layout', () => {
  test('classes.json, the layout default, the labels', async () => {
    const named = join(dir, 'syn-json');
    await writeSynapseLayout(named, { trainCases: 2, testCases: 1, classes: 3, classesJson: BRAIN });
    const a = await loadSynapse(named);
    expect([a.numClasses, a.classNames, a.classSource]).toEqual([3, BRAIN, 'classes.json']);

    const organs = join(dir, 'syn-9');
    await writeSynapseLayout(organs, { trainCases: 2, testCases: 1, classes: 9 });
    const b = await loadSynapse(organs);
    expect([b.numClasses, b.classNames[1], b.classSource]).toEqual([9, 'aorta', 'layout default']);

    const five = join(dir, 'syn-5');
    await writeSynapseLayout(five, { trainCases: 2, testCases: 1, classes: 5 });
    const c = await loadSynapse(five);
    expect([c.numClasses, c.classNames, c.classSource]).toEqual([5, ['background', 'class 1', 'class 2', 'class 3', 'class 4'], 'labels']);

    const d = await loadSynapse(five, { classes: ['bg', 'a', 'b', 'c', 'd', 'e'] });
    expect([d.numClasses, d.classSource]).toEqual([6, 'config']);
    await expect(loadSynapse(five, { classes: ['bg', 'a', 'b'] })).rejects.toThrow(
      /^Synapse slice .*case0010_slice000\.npz: array 'label': label value 3 at y \d+, x \d+ is out of range, expected 0 … 2 \(3 classes, from data\.classes in the trainer config\)$/,
    );
  });
});

describe('NIfTI: K from the groups; data.classes renames', () => {
  const root = join(dir, 'nifti');
  const config = (extra: Record<string, unknown> = {}) => ({
    groups: { 1: [1], 2: [2] },
    cases: [
      { id: 'a', image: 'img.nii', label: 'seg.nii', split: 'train' },
      { id: 'b', image: 'img.nii', label: 'seg.nii', split: 'test' },
    ],
    ...extra,
  });
  beforeAll(async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(root, { recursive: true });
    const affine = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ];
    await writeNifti(
      join(root, 'img.nii'),
      new Float32Array(24).map((_, i) => i),
      { dims: [4, 3, 2], affine },
    );
    await writeNifti(
      join(root, 'seg.nii'),
      new Uint8Array(24).map((_, i) => i % 3),
      { dims: [4, 3, 2], affine },
    );
  });

  test('the data-set config, or the trainer config', async () => {
    const generated = await buildNiftiDataset(config(), root, { source: 'ds.json' });
    expect([generated.classNames, generated.classSource]).toEqual([['background', 'class 1', 'class 2'], 'data-set config']);
    expect(generated.classOrigin).toBe('the NIfTI data-set config ds.json (groups; names generated)');
    const named = await buildNiftiDataset(config({ classNames: BRAIN }), root, { source: 'ds.json' });
    expect([named.classNames, named.classOrigin]).toEqual([BRAIN, 'the NIfTI data-set config ds.json (classNames)']);
    const renamed = await buildNiftiDataset(config({ classNames: BRAIN }), root, { classes: ['bg', 'x', 'y'] });
    expect([renamed.classNames, renamed.classSource]).toEqual([['bg', 'x', 'y'], 'config']);
    await expect(buildNiftiDataset(config(), root, { source: 'ds.json', classes: ['bg', 'x'] })).rejects.toThrow(
      'data.classes in the trainer config: data.classes has 2 names, expected 3: background + the 2 groups of NIfTI dataset config ds.json',
    );
  });
});

describe('synthetic data: data.classes renames its four classes', () => {
  test('renamed, or refused with another count', async () => {
    const small = { synthetic: { patients: 3, split: { train: 1, val: 1, test: 1 }, size: 16, slicesPerPatient: 2 } };
    const ds = await loadData(tinyConfig({ data: { ...small, labeled: { patients: 1 }, classes: ['bg', 'r', 'm', 'l'] } }));
    expect([ds.classNames, ds.classSource]).toEqual([['bg', 'r', 'm', 'l'], 'config']);
    const plain = await loadData(tinyConfig({ data: { ...small, labeled: { patients: 1 } } }));
    expect([plain.classSource, plain.classOrigin]).toEqual(['generator', 'the synthetic generator']);
    await expect(loadData(tinyConfig({ data: { ...small, labeled: { patients: 1 }, classes: ['bg', 'x'] } }))).rejects.toThrow(
      'data.classes in the trainer config: data.classes must name the 4 classes of the synthetic generator (background, RV, Myo, LV), background first, got ["bg", "x"]',
    );
  });
});

test('the config schema checks data.classes', () => {
  expect(configProblems(() => tinyConfig({ data: { classes: ['background'] } }))).toEqual([
    expect.stringMatching(/^data\.classes: Too small: expected array to have >=2 items/),
  ]);
  expect(configProblems(() => tinyConfig({ data: { classes: ['bg', 'a', 'a'] } }))).toEqual([
    expect.stringMatching(/^data\.classes: class names must be distinct/),
  ]);
  expect(configProblems(() => tinyConfig({ data: { classes: ['bg', ' '] } }))).toEqual([
    expect.stringMatching(/^data\.classes\.1: class names must not be blank/),
  ]);
  expect(tinyConfig().data.classes).toBeUndefined();
});

test('helpers: checkClassNames, classesFromLabels, describeClasses', () => {
  expect(checkClassNames(['bg', 'a'], 'w')).toEqual(['bg', 'a']);
  expect(() => checkClassNames('bg', 'w')).toThrow(/^w: the class list must be a JSON array/);
  expect(classesFromLabels(0, 'ACDC', ['background', 'RV', 'Myo', 'LV'])).toEqual({
    names: ['background', 'class 1'],
    source: 'labels',
    origin: 'the labels (largest value 0)',
  });
  expect(classesFromLabels(3, 'ACDC', ['background', 'RV', 'Myo', 'LV']).source).toBe('layout default');
  expect(describeClasses(BRAIN, 'classes.json /d/classes.json')).toBe(
    '3 classes (background, tumour, oedema), from classes.json /d/classes.json',
  );
});

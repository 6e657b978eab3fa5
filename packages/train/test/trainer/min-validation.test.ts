/**
 * Validation that can pick weights (trainer/data.ts, ensureValidation): a data set with fewer validation
 * volumes than data.minValVolumes gets whole unlabeled training cases moved to validation — never
 * labeled cases, never test cases — and the log and the report say which.
 */
import { join } from 'node:path';
import type { SegmentationDataset, TrainingSlice, Volume } from '../../src/data/types';
import { ensureValidation, labeledSplit, loadData, validationTopUpText } from '../../src/trainer/data';
import { reportMarkdown, type Report } from '../../src/trainer/report';
import { tempDir } from '../data/helpers';
import { writeAcdcLayout } from '../data/layout-fixtures';
import { configProblems, tinyConfig } from './tiny';

/**
 * Case `c` as training slices `case<c>_slice_<z>` (one frame: the volume is named as the case) or
 * `case<c>_frame<f>_slice_<z>`, 2 × 3 pixels, pixel values naming case, frame and z.
 */
function caseSlices(c: number, frames = 1, slices = 2): TrainingSlice[] {
  const out: TrainingSlice[] = [];
  for (let f = 0; f < frames; f++) {
    for (let z = slices - 1; z >= 0; z--) {
      // written in reverse z order: the volume must come out sorted
      const value = 100 * c + 10 * f + z;
      out.push({
        id: frames === 1 ? `case${c}_slice_${z}` : `case${c}_frame${f}_slice_${z}`,
        caseId: `case${c}`,
        height: 2,
        width: 3,
        image: new Float32Array(6).fill(value),
        label: new Uint8Array(6).fill(z % 2),
      });
    }
  }
  return out;
}

const volume = (caseId: string): Volume => ({ caseId, shape: [1, 2, 3], image: new Float32Array(6), label: new Uint8Array(6) });

function dataset(cases: number, val: number, frames = 1): SegmentationDataset {
  return {
    name: 'toy',
    numClasses: 2,
    classNames: ['background', 'a'],
    train: Array.from({ length: cases }, (_, c) => caseSlices(c, frames)).flat(),
    val: Array.from({ length: val }, (_, i) => volume(`val${i}`)),
    test: [volume('test0'), volume('test1')],
  };
}

const config = (data: Record<string, unknown> = {}) =>
  tinyConfig({ data: { source: 'acdc', path: '/unused', labeled: { patients: 2 }, ...data } });

describe('ensureValidation', () => {
  test('moves the last unlabeled cases until validation has data.minValVolumes; labeled and test cases stay', () => {
    const ds = dataset(10, 1);
    const cfg = config();
    expect(cfg.data.minValVolumes).toBe(4);
    const before = labeledSplit(cfg, ds);
    const out = ensureValidation(cfg, ds);
    expect(out.val.map((v) => v.caseId)).toEqual(['val0', 'case9', 'case8', 'case7']);
    expect(out.valFromTrain).toEqual({
      minimum: 4,
      own: 1,
      moved: [
        { caseId: 'case9', volumes: ['case9'] },
        { caseId: 'case8', volumes: ['case8'] },
        { caseId: 'case7', volumes: ['case7'] },
      ],
    });
    expect(new Set(out.train.map((s) => s.caseId))).toEqual(new Set(['case0', 'case1', 'case2', 'case3', 'case4', 'case5', 'case6']));
    expect(out.test).toBe(ds.test);
    // The labeled slices are the same ones.
    const after = labeledSplit(cfg, out);
    expect(after.labeledCases).toEqual(before.labeledCases);
    expect(after.labeled.map((i) => out.train[i]!.id)).toEqual(before.labeled.map((i) => ds.train[i]!.id));
    // A moved volume is its slices stacked in z order.
    const v = out.val[1]!;
    expect(v.shape).toEqual([2, 2, 3]);
    expect(Array.from(v.image)).toEqual([...Array(6).fill(900), ...Array(6).fill(901)]);
    expect(Array.from(v.label)).toEqual([...Array(6).fill(0), ...Array(6).fill(1)]);
    expect(v.spacing).toBeUndefined();
    expect(validationTopUpText(out)).toBe(
      'the data set has 1 validation volume, fewer than data.minValVolumes 4; moved 3 unlabeled training cases to validation (3 volumes): case9, case8, case7.',
    );
  });

  test('a case with several volumes (ACDC frames) counts each', () => {
    const out = ensureValidation(config(), dataset(8, 1, 2));
    expect(out.valFromTrain!.moved).toEqual([
      { caseId: 'case7', volumes: ['case7_frame0', 'case7_frame1'] },
      { caseId: 'case6', volumes: ['case6_frame0', 'case6_frame1'] },
    ]);
    expect(out.val).toHaveLength(5);
    expect(validationTopUpText(out)).toContain(
      'moved 2 unlabeled training cases to validation (4 volumes): case7 (case7_frame0, case7_frame1), case6 (case6_frame0, case6_frame1).',
    );
  });

  test('at most half of the unlabeled cases move; the shortfall is stated', () => {
    const out = ensureValidation(config(), dataset(4, 1));
    expect(out.valFromTrain!.moved.map((m) => m.caseId)).toEqual(['case3']);
    expect(out.train.map((s) => s.caseId)).toContain('case2');
    expect(validationTopUpText(out)).toBe(
      'the data set has 1 validation volume, fewer than data.minValVolumes 4; moved 1 unlabeled training case to validation (1 volume): case3; validation stays at 2 volumes: only 1 of the 2 unlabeled training cases may move (at most half).',
    );
  });

  test('labeled cases never move: full supervision, and a case labeled in part ({slices: N})', () => {
    const full = ensureValidation(config({ labeled: { patients: 4 } }), dataset(4, 0));
    expect(full.train).toHaveLength(8);
    expect(full.val).toHaveLength(0);
    expect(validationTopUpText(full)).toBe(
      'the data set has 0 validation volumes, fewer than data.minValVolumes 4; validation stays at 0 volumes: every training case has labeled slices (none may move).',
    );
    // 7 slices labeled: cases 0 … 2 and the first slice of case 3 → cases 4 … 9 may move (3 of them).
    const base = config(); // (a config file cannot swap {patients} for {slices}: the two merge)
    const partial = ensureValidation({ ...base, data: { ...base.data, labeled: { slices: 7 } } }, dataset(10, 0));
    expect(partial.valFromTrain!.moved.map((m) => m.caseId)).toEqual(['case9', 'case8', 'case7']);
    expect(partial.train.filter((s) => s.caseId === 'case3')).toHaveLength(2);
  });

  test('enough validation, minValVolumes 0, or maxValVolumes below it: nothing to do or a lower target', () => {
    const ds = dataset(10, 1);
    expect(ensureValidation(config({ minValVolumes: 0 }), ds)).toBe(ds);
    expect(ensureValidation(config({ minValVolumes: 1 }), ds)).toBe(ds);
    expect(ensureValidation(config({ maxValVolumes: 2 }), ds).val.map((v) => v.caseId)).toEqual(['val0', 'case9']);
    const four = dataset(10, 4);
    expect(ensureValidation(config(), four)).toBe(four);
  });

  test('slices that do not stack stay in training: no _slice_<z> names, differing sizes, a volume name in use', () => {
    const ds = dataset(10, 1);
    const renamed = ds.train.map((s) => (s.caseId === 'case9' ? { ...s, id: `odd_${s.id.replace(/_slice_/, '-')}` } : s));
    const resized = renamed.map((s, i) => (s.caseId === 'case8' && i % 2 === 0 ? { ...s, height: 3, width: 2 } : s));
    const test = [...ds.test, volume('case7')];
    const out = ensureValidation(config(), { ...ds, train: resized, test });
    expect(out.valFromTrain!.moved.map((m) => m.caseId)).toEqual(['case6', 'case5', 'case4']);
    expect(out.train.filter((s) => ['case7', 'case8', 'case9'].includes(s.caseId))).toHaveLength(6);
  });

  test('data.minValVolumes: a non-negative integer, 4 by default in both presets', () => {
    expect(tinyConfig().data.minValVolumes).toBe(4);
    expect(configProblems(() => tinyConfig({ data: { minValVolumes: -1 } }))).toEqual([
      expect.stringMatching(/^data\.minValVolumes: Too small/),
    ]);
  });
});

describe('loading', () => {
  const root = tempDir('min-val');
  test('an ACDC folder with one validation volume gets four more from the last unlabeled patients', async () => {
    await writeAcdcLayout(root, { patients: 8, frames: 2, classes: 4, val: 1, test: 2 });
    const ds = await loadData(config({ path: root, labeled: { patients: 2 } }));
    expect(ds.val.map((v) => v.caseId)).toEqual([
      'patient101_frame01',
      'patient008_frame01',
      'patient008_frame02',
      'patient007_frame01',
      'patient007_frame02',
    ]);
    expect(ds.val[1]!.shape).toEqual([3, 8, 6]);
    expect(ds.test.map((v) => v.caseId)).toEqual(['patient201_frame01', 'patient202_frame01']);
    expect(new Set(ds.train.map((s) => s.caseId)).size).toBe(6);
    expect(validationTopUpText(ds)).toContain('moved 2 unlabeled training cases to validation (4 volumes): patient008');
    const off = await loadData(config({ path: root, minValVolumes: 0 }));
    expect(off.val).toHaveLength(1);
    expect(off.valFromTrain).toBeUndefined();
  });

  test('the synthetic source keeps its configured split', async () => {
    const ds = await loadData(
      tinyConfig({ data: { synthetic: { patients: 6, split: { train: 4, val: 1, test: 1 }, size: 16, slicesPerPatient: 2 } } }),
    );
    expect(ds.val).toHaveLength(1);
    expect(ds.valFromTrain).toBeUndefined();
  });
});

test('report.md states the moved cases and the classes', () => {
  const metrics = { dice: 0.5, jaccard: 0.4, hd95: 1, asd: 0.5 };
  const results = { perClass: [{ name: 'tumour', ...metrics }], mean: metrics, perVolume: [] };
  const ds = ensureValidation(config(), dataset(10, 1));
  const report: Report = {
    format: 'mcsc-report',
    run: 'r',
    method: 'mcsc',
    seed: 1,
    data: {
      name: 'toy',
      trainSlices: ds.train.length,
      labeledSlices: 4,
      labeledCases: ['case0', 'case1'],
      testVolumes: 2,
      valVolumes: ds.val.length,
      classes: { names: ['background', 'tumour'], source: 'classes.json', origin: `classes.json ${join('/d', 'classes.json')}` },
      valFromTrain: ds.valFromTrain!,
    },
    iterations: 1,
    trainSeconds: 1,
    iterationsPerSecond: 1,
    unit: 'voxel',
    weights: {},
    results: { cnn: results, trans: results, ensemble: results },
    files: [],
  };
  const md = reportMarkdown(report);
  expect(md).toContain('\nClasses: 2 classes (background, tumour), from classes.json /d/classes.json.\n');
  expect(md).toContain(
    '\nValidation: the data set has 1 validation volume, fewer than data.minValVolumes 4; moved 3 unlabeled training cases to validation (3 volumes): case9, case8, case7.\n',
  );
  const { valFromTrain: _, classes: __, ...older } = report.data;
  const plain = reportMarkdown({ ...report, data: older });
  expect(plain).not.toContain('Classes:');
  expect(plain).not.toContain('Validation:');
});

/**
 * A run's first log line names the data, its classes and where they came from; the next says which
 * training cases were moved to validation (data.minValVolumes). No step is taken (stopAfter: 0).
 */
import { join } from 'node:path';
import { train } from '../../src/trainer/trainer';
import { tempDir } from '../data/helpers';
import { writeAcdcLayout } from '../data/layout-fixtures';
import { tinyConfig } from './tiny';

const dir = tempDir('first-line');

test('classes and validation cases in the first lines of a run', async () => {
  const data = join(dir, 'brain');
  await writeAcdcLayout(data, { patients: 6, classes: 3, val: 1, test: 1, classesJson: ['background', 'tumour', 'oedema'] });
  const said: string[] = [];
  const out = join(dir, 'run');
  const result = await train({
    config: tinyConfig({ data: { source: 'acdc', path: data, labeled: { patients: 2 } }, optim: { iterations: 2 } }),
    out,
    stopAfter: 0,
    progress: false,
    log: (m) => said.push(m),
  });
  expect(result.completed).toBe(false);
  expect(result.settings.data.numClasses).toBe(3);
  expect(said[0]).toBe(
    `run ${out}: ACDC, 3 classes (background, tumour, oedema), from classes.json ${join(data, 'classes.json')}; 6 labeled / 6 unlabeled slices (2 labeled cases), 3 validation and 1 test volumes, 2 iterations, batch 4`,
  );
  expect(said[1]).toBe(
    'validation: the data set has 1 validation volume, fewer than data.minValVolumes 4; moved 2 unlabeled training cases to validation (2 volumes): patient006 (patient006_frame01), patient005 (patient005_frame01); validation stays at 3 volumes: only 2 of the 4 unlabeled training cases may move (at most half).',
  );
}, 120_000);

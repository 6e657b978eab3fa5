/** A tiny but complete trainer config for tests: small synthetic data, narrow networks, 64 px. */
import { ConfigError, resolveConfig, type ConfigOverrides, type TrainConfig } from '../../src/trainer/config';
import { loadData } from '../../src/trainer/data';
import type { SegmentationDataset } from '../../src/data/types';

export const TINY: ConfigOverrides = {
  name: 'tiny',
  data: { synthetic: { patients: 7, split: { train: 4, val: 1, test: 2 }, size: 64, slicesPerPatient: [4, 5] }, labeled: { patients: 2 } },
  model: {
    patchSize: 64,
    cnn: { arch: 'unet', channels: [4, 8, 16, 32, 64] },
    transformer: { arch: 'swin-unet', imgSize: 64, embedDim: 12, windowSize: 4, numHeads: [1, 2, 3, 4] },
    projector: { hidden: 16, out: 8 },
  },
  loss: {
    contrast: { blockSize: { full: 8, eighth: 4 }, groupsPerStep: 4, allSlicesFrom: 3 },
    crossTeaching: { rampupDivisor: 1, rampupLength: 10 },
  },
  optim: { iterations: 8 },
  run: { logEvery: 1, validateEvery: 4, checkpointEvery: 100, overlays: 1 },
};

export function tinyConfig(...overrides: ConfigOverrides[]): TrainConfig {
  return resolveConfig('cpu', [TINY, ...overrides], 'tiny test config');
}

let cached: Promise<SegmentationDataset> | undefined;

/** The tiny synthetic data set, generated once per test file. */
export function tinyData(): Promise<SegmentationDataset> {
  cached ??= loadData(tinyConfig());
  return cached;
}

/** The problems of the ConfigError that `f` must throw (the test fails if it throws anything else or nothing). */
export function configProblems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return [...(e as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

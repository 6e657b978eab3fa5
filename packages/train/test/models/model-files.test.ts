import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseModelConfig } from '../../src/models/model-config.js';
import { networkPreset } from '../../src/models/presets.js';
import { parseConfig, resolveConfig } from '../../src/trainer/config.js';

/** The network configs of the presets, as files in the repository's top-level models/ folder. */
const modelsDir = join(__dirname, '../../../../models');
const readJson = (file: string): unknown => JSON.parse(readFileSync(join(modelsDir, file), 'utf8'));

describe('models/*.json are the preset networks', () => {
  test.each([
    ['unet.json', 'paper', 'cnn'],
    ['unet.json', 'cpu', 'cnn'],
    ['swin-unet-tiny.json', 'paper', 'transformer'],
    ['swin-unet-cpu.json', 'cpu', 'transformer'],
  ] as const)('%s parses to the %s preset %s', (file, preset, network) => {
    const parsed = parseModelConfig(readJson(file), file);
    expect(parsed).toEqual(networkPreset(preset)[network]);
  });

  test.each([
    ['paper', 'swin-unet-tiny.json'],
    ['cpu', 'swin-unet-cpu.json'],
  ] as const)('as model.cnn / model.transformer they make a valid run config equal to the %s preset', (preset, transformerFile) => {
    const expected = resolveConfig(preset);
    const config = parseConfig({
      ...JSON.parse(JSON.stringify(expected)),
      model: { ...expected.model, cnn: readJson('unet.json'), transformer: readJson(transformerFile) },
    });
    expect(config.model).toEqual(expected.model);
    expect(config.model.patchSize).toBe(networkPreset(preset).patchSize);
  });
});

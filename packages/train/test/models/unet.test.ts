import { Graph } from '@mcsc/graph';
import { classifier, unet, type UNetConfig } from '../../src/models/index';
import { crossEntropySession, paramCount } from './helpers';
import { checkParameterGradients } from './parameter-gradcheck';

describe('UNet (SSL4MIS) and classifier', () => {
  test('parameter counts equal the reference: UNet 1,943,744; classifier 580 for K = 4', () => {
    const g = new Graph();
    const feats = unet(g, g.input('image', [1, 1, 32, 32]), { inChannels: 1 });
    expect(paramCount(g)).toBe(1_943_744);
    classifier(g, feats[3]!, 4, 'classifier1');
    expect(paramCount(g) - 1_943_744).toBe(580);
    expect(g.params.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'encoder.in_conv.conv_conv.0.weight',
        'encoder.in_conv.conv_conv.1.weight',
        'encoder.in_conv.conv_conv.4.bias',
        'encoder.down1.maxpool_conv.1.conv_conv.5.bias',
        'decoder.up1.up.weight',
        'decoder.up4.conv.conv_conv.0.weight',
        'classifier1.conv1.weight',
      ]),
    );
    expect(g.states.map((s) => s.name)).toContain('encoder.down4.maxpool_conv.1.conv_conv.1.num_batches_tracked');
  });

  test.each([
    [2, 64, 48],
    [1, 224, 224],
  ])('decoder feature shapes at batch %i, %i×%i', (n, h, w) => {
    const g = new Graph();
    const feats = unet(g, g.input('image', [n, 1, h, w]), { inChannels: 1 });
    expect(feats.map((f) => f.shape)).toEqual([
      [n, 128, h / 8, w / 8],
      [n, 64, h / 4, w / 4],
      [n, 32, h / 2, w / 2],
      [n, 16, h, w],
    ]);
  });

  test('a size that four poolings cannot halve is a clear error', () => {
    const g = new Graph();
    expect(() => unet(g, g.input('image', [1, 1, 40, 40]), { inChannels: 1 })).toThrow('UNet: H and W must be multiples of 16');
  });

  test('finite-difference check of a tiny UNet + classifier, end to end (BatchNorm in training mode)', async () => {
    const config: UNetConfig = { inChannels: 1, channels: [2, 2, 3, 3, 4], dropout: [0.05, 0.1, 0.2, 0.3, 0.5] };
    const { session, feeds } = await crossEntropySession({
      n: 2,
      size: 16,
      classes: 3,
      dataSeed: 3,
      logits: (g, image) => classifier(g, unet(g, image, config)[3]!, 3),
      optimizer: { kind: 'sgd', groups: [{ name: 'all', params: () => true }] },
      seed: 5,
    });
    // A first-layer weight moves every activation downstream, so a large step crosses max-pool and
    // LeakyReLU kinks (measured: 40 % off at ε = 1e-2, 7 % at 1e-3); 2e-4 stays inside one linear piece
    // while float32 rounding of the loss (~1e-7) stays far below the tolerance.
    const { checked, failures } = await checkParameterGradients(session, feeds, { eps: 2e-4, atol: 2e-3, rtol: 3e-2 });
    expect(checked).toBeGreaterThan(100);
    expect(failures).toEqual([]);
  });
});

// Chart specs (pure) and the fallback when Vega cannot be loaded: this file does not hand jest the real
// ES modules (see vega-modules.ts), as a CommonJS consumer without them would not have them either.
import { lossChart, renderCharts, validationChart, windowMeans } from '../../src/trainer/charts';
import { reportHtml } from '../../src/trainer/report-html';
import type { Report } from '../../src/trainer/report';

const train = (iteration: number, losses: Record<string, number>) => ({ type: 'train', iteration, losses });

describe('charts', () => {
  test('windowMeans: long curves are averaged over equal windows', () => {
    expect(
      windowMeans(
        [
          [1, 1],
          [2, 2],
        ],
        5,
      ),
    ).toEqual({
      points: [
        [1, 1],
        [2, 2],
      ],
      window: 1,
    });
    const pts = Array.from({ length: 10 }, (_, i) => [i, 10 * i] as [number, number]);
    expect(windowMeans(pts, 4)).toEqual({
      points: [
        [1, 10],
        [4, 40],
        [7, 70],
        [9, 90],
      ],
      window: 3,
    });
  });

  test('loss chart: one panel per family; log scale only for positive values spanning a factor > 10', () => {
    const log = [1, 2, 3].map((t) => train(t, { loss: 3 / t, ce_cnn: 10 ** -t, con_full: t - 2, mystery: 1 }));
    const chart = lossChart(log)!;
    const panels = (
      chart.spec as unknown as { vconcat: { title: { text: string }; encoding: { y: { scale: { type?: string }; title: string } } }[] }
    ).vconcat;
    expect(panels.map((p) => p.title.text)).toEqual(['total', 'supervised', 'contrastive', 'other terms']);
    expect(panels.map((p) => p.encoding.y.scale.type ?? 'linear')).toEqual(['linear', 'log', 'linear', 'linear']);
    expect(chart.caption).toContain('log-scale y in supervised');
    expect(lossChart([])).toBeNull();
    expect(validationChart([{ type: 'val', iteration: 4, dice: { cnn: 0.5 } } as never], { cnn: 'CNN (UNet)' })!.spec).toMatchObject({
      data: { values: [{ iteration: 4, model: 'CNN (UNet)', dice: 50 }] },
    });
  });

  test('without the charting library: the reason, and the page shows the PNG figures instead', async () => {
    const result = await renderCharts([lossChart([train(1, { loss: 1 })])!]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(/vega/);
    const report = { run: 'r', files: ['report.json', 'loss.png', 'val.png', 'overlays/00-a-z0.png'] } as unknown as Report;
    const html = reportHtml(report, '# r', result);
    expect(html).toContain('Charts not drawn: the charting library (vega, vega-lite) could not be loaded');
    expect(html).toContain('<img src="loss.png"');
    expect(html).toContain('<img src="overlays/00-a-z0.png"');
    expect(html).not.toContain('<details>');
  });
});

/**
 * The figures of `report.html` and of the compare report, drawn with Vega-Lite (compiled to a Vega spec)
 * and rendered by Vega's headless SVG renderer (`renderer: 'none'`, no canvas, no native code), so the
 * pages carry real charts — axes with ticks and titles, legends, text at 11 px or more — inline as SVG.
 *
 * Vega and Vega-Lite ship as ES modules only; they are loaded with a dynamic `import()` (which the
 * CommonJS build keeps), once. Where they cannot be loaded (e.g. a CommonJS test runner without a
 * module mock), {@link renderCharts} reports why and the pages fall back to the PNG figures.
 */
import type { TopLevelSpec } from 'vega-lite';

/** Series colours (Tableau 10, Vega's default scheme): the models and methods of one chart in turn. */
export const SERIES_SCHEME = 'tableau10';

/** Type, axes and legends at readable sizes (Vega-Lite's defaults are 10–11 px). */
export const CHART_CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif',
  padding: 8,
  axis: {
    labelFontSize: 12,
    titleFontSize: 13,
    titleFontWeight: 'normal',
    titlePadding: 8,
    gridColor: '#e8e8e8',
    domainColor: '#888',
    tickColor: '#888',
    labelLimit: 420,
  },
  axisY: { minExtent: 44 },
  legend: {
    labelFontSize: 12,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    symbolSize: 90,
    labelLimit: 320,
    orient: 'bottom',
    direction: 'horizontal',
    columns: 3,
    columnPadding: 16,
  },
  title: { fontSize: 15, subtitleFontSize: 12, anchor: 'start', fontWeight: 600, subtitleColor: '#555', offset: 10 },
  header: { labelFontSize: 12, titleFontSize: 13 },
  view: { stroke: '#ddd' },
  range: { category: { scheme: SERIES_SCHEME } },
} as const;

/** A chart to draw: a Vega-Lite spec (without `config`, which {@link CHART_CONFIG} supplies) and a caption. */
export interface ChartSpec {
  /** File-name-safe identifier (`loss`, `validation`, …). */
  readonly id: string;
  /** Caption under the figure (plain text). */
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

export interface RenderedChart {
  readonly id: string;
  readonly caption: string;
  /** `<svg …>…</svg>`. */
  readonly svg: string;
}

/** Charts drawn, or why none could be. */
export type ChartsResult =
  | { readonly ok: true; readonly charts: readonly RenderedChart[] }
  | { readonly ok: false; readonly reason: string };

interface VegaModules {
  vega: typeof import('vega');
  vegaLite: typeof import('vega-lite');
}

let modules: Promise<VegaModules> | undefined;

/** Vega and Vega-Lite, imported once. */
export function loadVega(): Promise<VegaModules> {
  modules ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vegaLite]) => ({ vega, vegaLite }));
  modules.catch(() => {
    modules = undefined; // try again next time
  });
  return modules;
}

/** One Vega-Lite spec as an SVG string (config merged from {@link CHART_CONFIG}). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { vega, vegaLite } = await loadVega();
  const full = { ...spec, config: { ...CHART_CONFIG, ...((spec as { config?: object }).config ?? {}) } } as TopLevelSpec;
  const compiled = vegaLite.compile(full).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Renders each spec. When Vega cannot be loaded, or a chart fails, the result says why instead of
 * throwing: a report must not be lost to a figure.
 */
export async function renderCharts(specs: readonly ChartSpec[]): Promise<ChartsResult> {
  try {
    await loadVega();
  } catch (e) {
    return { ok: false, reason: `the charting library (vega, vega-lite) could not be loaded: ${(e as Error).message.split('\n')[0]}` };
  }
  const charts: RenderedChart[] = [];
  for (const c of specs) {
    try {
      charts.push({ id: c.id, caption: c.caption, svg: await renderSvg(c.spec) });
    } catch (e) {
      return { ok: false, reason: `chart ${c.id} failed: ${(e as Error).message.split('\n')[0]}` };
    }
  }
  return { ok: true, charts };
}

/** `<figure>`s of rendered charts, the SVG inline, for a self-contained page. */
export function chartFigures(charts: readonly RenderedChart[], escapeHtml: (s: string) => string): string[] {
  return charts.map(
    (c) => `<figure class="chart" id="chart-${escapeHtml(c.id)}">\n${c.svg}\n<figcaption>${escapeHtml(c.caption)}</figcaption></figure>`,
  );
}

/** CSS for chart figures in the report pages. */
export const CHART_STYLE =
  'figure.chart{margin:1.2em 0 1.8em}figure.chart svg{max-width:100%;height:auto;display:block}figcaption{font-size:13px;color:#555;max-width:900px;margin-top:.3em}';

/**
 * Points thinned for drawing: when `points` has more than `max` entries, consecutive windows of equal
 * length are replaced by their mean x and mean y (the window length is returned so a caption can say so).
 */
export function windowMeans(points: readonly (readonly [number, number])[], max: number): { points: [number, number][]; window: number } {
  if (points.length <= max) return { points: points.map(([x, y]) => [x, y]), window: 1 };
  const window = Math.ceil(points.length / max);
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i += window) {
    const chunk = points.slice(i, i + window);
    out.push([chunk.reduce((a, p) => a + p[0], 0) / chunk.length, chunk.reduce((a, p) => a + p[1], 0) / chunk.length]);
  }
  return { points: out, window };
}

// ---- report.html ----

/**
 * The trainer's loss terms (log.jsonl keys): the panel each is drawn in, the quantity (colour) and the
 * network (line style). Keys not listed go to an "other" panel under their own name.
 */
export const LOSS_TERMS: Readonly<Record<string, { panel: string; quantity: string; network: string }>> = {
  loss: { panel: 'total', quantity: 'total loss', network: 'both' },
  loss_cnn: { panel: 'total', quantity: 'total loss', network: 'CNN' },
  loss_trans: { panel: 'total', quantity: 'total loss', network: 'Transformer' },
  sup_cnn: { panel: 'supervised', quantity: '½(CE + Dice)', network: 'CNN' },
  sup_trans: { panel: 'supervised', quantity: '½(CE + Dice)', network: 'Transformer' },
  ce_cnn: { panel: 'supervised', quantity: 'cross-entropy', network: 'CNN' },
  ce_trans: { panel: 'supervised', quantity: 'cross-entropy', network: 'Transformer' },
  dice_cnn: { panel: 'supervised', quantity: 'Dice loss', network: 'CNN' },
  dice_trans: { panel: 'supervised', quantity: 'Dice loss', network: 'Transformer' },
  ct_cnn: { panel: 'cross teaching', quantity: 'pseudo-label Dice', network: 'CNN' },
  ct_trans: { panel: 'cross teaching', quantity: 'pseudo-label Dice', network: 'Transformer' },
  con: { panel: 'contrastive', quantity: 'sum of scales', network: 'both' },
  con_full: { panel: 'contrastive', quantity: 'scale 1/1', network: 'both' },
  con_eighth: { panel: 'contrastive', quantity: 'scale 1/8', network: 'both' },
};

const PANELS = ['total', 'supervised', 'cross teaching', 'contrastive', 'other'] as const;
const NETWORKS = ['both', 'CNN', 'Transformer', '—'];

type TrainRecord = { type: 'train'; iteration: number; losses: Record<string, number> };
type ValRecord = { type: 'val'; iteration: number; dice: Record<string, number> };
type AnyRecord = { type: string; iteration: number };

/** At most this many points per curve; longer logs are averaged over windows. */
const MAX_CURVE_POINTS = 500;

/**
 * Training losses over the iterations, one panel per family (total, supervised, cross teaching,
 * contrastive): colour = quantity, line style = network. A panel's y axis is logarithmic when its values
 * are all positive and span more than a factor of 10, linear otherwise.
 */
export function lossChart(log: readonly AnyRecord[]): ChartSpec | null {
  const train = log.filter((r): r is TrainRecord => r.type === 'train');
  const keys = [...new Set(train.flatMap((r) => Object.keys(r.losses)))];
  const term = (k: string) => LOSS_TERMS[k] ?? { panel: 'other', quantity: k, network: '—' };
  const rows: { iteration: number; value: number; panel: string; quantity: string; network: string }[] = [];
  let window = 1;
  let longest = 0;
  for (const key of keys) {
    const pts = train.filter((r) => Number.isFinite(r.losses[key])).map((r) => [r.iteration, r.losses[key]!] as const);
    const thinned = windowMeans(pts, MAX_CURVE_POINTS);
    window = Math.max(window, thinned.window);
    longest = Math.max(longest, thinned.points.length);
    for (const [iteration, value] of thinned.points) rows.push({ iteration, value, ...term(key) });
  }
  if (rows.length === 0) return null;
  const iterations = rows.map((r) => r.iteration);
  const xDomain = [Math.min(...iterations), Math.max(...iterations)];
  const logPanels: string[] = [];
  const panels = PANELS.filter((p) => rows.some((r) => r.panel === p)).map((panel) => {
    const mine = rows.filter((r) => r.panel === panel);
    const values = mine.map((r) => r.value);
    const log10 = values.every((v) => v > 0) && Math.max(...values) > 10 * Math.min(...values);
    if (log10) logPanels.push(panel);
    const quantities = [...new Set(mine.map((r) => r.quantity))];
    const networks = NETWORKS.filter((n) => mine.some((r) => r.network === n));
    return {
      title: { text: panel === 'other' ? 'other terms' : `${panel}`, fontSize: 13, fontWeight: 600 },
      width: 600,
      height: 150,
      data: { values: mine },
      mark: { type: 'line', strokeWidth: 1.6, point: longest <= 40 ? { size: 24 } : false },
      encoding: {
        x: {
          field: 'iteration',
          type: 'quantitative',
          title: 'iteration',
          scale: { domain: xDomain, nice: false },
          axis: { tickCount: 8 },
        },
        y: {
          field: 'value',
          type: 'quantitative',
          title: log10 ? 'loss (log scale)' : 'loss',
          scale: log10 ? { type: 'log' } : { zero: false },
        },
        color: {
          field: 'quantity',
          type: 'nominal',
          title: 'term',
          sort: quantities,
          legend: { orient: 'right', direction: 'vertical', columns: 1 },
        },
        ...(networks.length > 1
          ? {
              strokeDash: {
                field: 'network',
                type: 'nominal',
                title: 'network',
                sort: networks,
                legend: { orient: 'right', direction: 'vertical', columns: 1, symbolStrokeColor: '#444' },
              },
            }
          : {}),
      },
    };
  });
  return {
    id: 'loss',
    caption: `Training losses from log.jsonl, by family: colour = term, line style = network${logPanels.length > 0 ? `; log-scale y in ${logPanels.join(', ')}` : ''}${window > 1 ? `; each point is the mean of ${window} consecutive log records` : ''}.`,
    spec: {
      title: { text: 'Training losses' },
      vconcat: panels,
      spacing: 18,
      resolve: {
        scale: { color: 'independent', strokeDash: 'independent', y: 'independent' },
        legend: { color: 'independent', strokeDash: 'independent' },
      },
    } as unknown as TopLevelSpec,
  };
}

/** Validation mean Dice (%) of each network over the iterations. */
export function validationChart(log: readonly AnyRecord[], titles: Readonly<Record<string, string>>): ChartSpec | null {
  const val = log.filter((r): r is ValRecord => r.type === 'val');
  const names = [...new Set(val.flatMap((r) => Object.keys(r.dice)))];
  const rows = val.flatMap((r) =>
    names.filter((n) => Number.isFinite(r.dice[n])).map((n) => ({ iteration: r.iteration, model: titles[n] ?? n, dice: 100 * r.dice[n]! })),
  );
  if (rows.length === 0) return null;
  return {
    id: 'validation',
    caption: 'Mean Dice (%) over the validation volumes at each validation; each network keeps its best weights by this number.',
    spec: {
      title: { text: 'Validation Dice' },
      width: 680,
      height: 260,
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 1.8, point: { size: 36 } },
      encoding: {
        x: { field: 'iteration', type: 'quantitative', title: 'iteration', axis: { tickCount: 8 } },
        y: { field: 'dice', type: 'quantitative', title: 'mean Dice (%)', scale: { zero: false } },
        color: { field: 'model', type: 'nominal', title: 'network', sort: names.map((n) => titles[n] ?? n) },
      },
    },
  };
}

/** One dot per (volume, class[, model]) row; NaN values are left out by the callers. */
export interface StripRow {
  /** Row of the chart (a class, a method). */
  readonly row: string;
  /** Colour (a model). */
  readonly series: string;
  /** Value shown, e.g. Dice in %. */
  readonly value: number;
  /** Volume (and seed), for the record. */
  readonly unit: string;
}

/**
 * A strip plot: per row and series, one dot per unit, and a bar at the series' mean (`means`; computed
 * from the dots when not given).
 */
export function stripChart(o: {
  id: string;
  title: string;
  caption: string;
  rows: readonly StripRow[];
  rowOrder: readonly string[];
  seriesOrder: readonly string[];
  rowTitle: string | null;
  seriesTitle: string;
  valueTitle: string;
  domain?: readonly [number, number];
  means?: readonly { row: string; series: string; value: number }[];
}): ChartSpec | null {
  if (o.rows.length === 0) return null;
  const means =
    o.means ??
    o.rowOrder.flatMap((row) =>
      o.seriesOrder.map((series) => {
        const v = o.rows.filter((r) => r.row === row && r.series === series).map((r) => r.value);
        return { row, series, value: v.length === 0 ? NaN : v.reduce((a, b) => a + b, 0) / v.length };
      }),
    );
  const y = { field: 'row', type: 'nominal', title: o.rowTitle, sort: o.rowOrder, axis: { labelFontSize: 12, labelPadding: 6 } } as const;
  const yOffset = { field: 'series', type: 'nominal', sort: o.seriesOrder } as const;
  const color = { field: 'series', type: 'nominal', title: o.seriesTitle, sort: o.seriesOrder, legend: { symbolOpacity: 1 } } as const;
  const x = {
    field: 'value',
    type: 'quantitative',
    title: o.valueTitle,
    ...(o.domain ? { scale: { domain: [...o.domain], nice: false } } : { scale: { zero: false } }),
  } as const;
  return {
    id: o.id,
    caption: o.caption,
    spec: {
      title: { text: o.title },
      width: 680,
      height: { step: Math.max(12, Math.min(20, 60 / Math.max(1, o.seriesOrder.length))), for: 'offset' },
      layer: [
        {
          data: { values: o.rows.map((r) => ({ ...r })) },
          mark: { type: 'circle', size: 42, opacity: 0.65 },
          encoding: { x, y, yOffset, color },
        },
        {
          data: { values: means.filter((m) => Number.isFinite(m.value)).map((m) => ({ ...m })) },
          mark: { type: 'tick', thickness: 2.5, color: '#222', size: 14 },
          encoding: { x, y, yOffset },
        },
      ],
    },
  } as ChartSpec;
}

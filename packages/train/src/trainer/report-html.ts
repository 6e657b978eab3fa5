/**
 * `report.html`: the Markdown report rendered (markdown-it) in one self-contained page, with the charts
 * (inline SVG, charts.ts) after the tables, then the test overlays — the file to open in a browser.
 * The PNG curves stay files beside it; the page shows them only when the charts could not be drawn.
 */
import MarkdownIt from 'markdown-it';
import { CHART_STYLE, chartFigures, type ChartsResult } from './charts.js';
import type { Report } from './report.js';

export const PAGE_STYLE = `body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #eee;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-variant-numeric:tabular-nums}th,td{border:1px solid #ccc;padding:3px 10px;text-align:right}td{white-space:nowrap}
th{background:#f6f6f6}th:first-child,td:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd;margin:.3em 0}
code{background:#f3f3f3;padding:0 .25em;border-radius:3px}.note{color:#8a4b00}details{margin:1em 0}summary{cursor:pointer;color:#444}
${CHART_STYLE}`;

/**
 * The page for a report whose Markdown is `markdown`; `charts` (from `renderCharts`) are drawn inline.
 * Without charts (none given, or they could not be drawn) the PNG figures take their place.
 */
export function reportHtml(report: Report, markdown: string, charts?: ChartsResult): string {
  const md = new MarkdownIt({ html: false, breaks: true });
  const esc = (s: string) => md.utils.escapeHtml(s);
  const image = (f: string) => `<figure><img src="${encodeURI(f)}" alt="${esc(f)}"><figcaption>${esc(f)}</figcaption></figure>`;
  const pngs = report.files.filter((f) => f.endsWith('.png'));
  const curves = pngs.filter((f) => !f.startsWith('overlays/'));
  const overlays = pngs.filter((f) => f.startsWith('overlays/'));
  const drawn = charts?.ok === true && charts.charts.length > 0;
  const body: string[] = ['<h2>Figures</h2>'];
  if (drawn) {
    body.push(...chartFigures(charts.charts, esc));
  } else {
    if (charts?.ok === false) body.push(`<p class="note">Charts not drawn: ${esc(charts.reason)}. The PNG figures follow.</p>`);
    body.push(...curves.map(image));
  }
  if (overlays.length > 0) {
    body.push(
      '<h3>Test slices</h3>',
      '<p>Image, ground truth, CNN, Transformer and ensemble, each at the slice of the volume with the most foreground.</p>',
      ...overlays.map(image),
    );
  }
  if (drawn && curves.length > 0) {
    body.push(`<details><summary>PNG files of the curves (${curves.map(esc).join(', ')})</summary>`, ...curves.map(image), '</details>');
  }
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(`${report.run}: test report`)}</title>`,
    `<style>${PAGE_STYLE}</style></head><body>`,
    md.render(markdown),
    ...body,
    '</body></html>',
    '',
  ].join('\n');
}

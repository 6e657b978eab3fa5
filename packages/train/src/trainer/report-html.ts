/**
 * `report.html`: the Markdown report rendered (markdown-it) in one self-contained page, with the loss
 * and validation curves and the test overlays beside the tables — the file to open in a browser.
 */
import MarkdownIt from 'markdown-it';
import type { Report } from './report.js';

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:3px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd;margin:.3em 0}`;

/** The page for a report whose Markdown is `markdown`; images are the report's PNG files, linked relatively. */
export function reportHtml(report: Report, markdown: string): string {
  const md = new MarkdownIt({ html: false, breaks: true });
  const images = report.files.filter((f) => f.endsWith('.png'));
  const figures = images.map((f) => `<figure><img src="${encodeURI(f)}" alt="${md.utils.escapeHtml(f)}"><figcaption>${md.utils.escapeHtml(f)}</figcaption></figure>`);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${md.utils.escapeHtml(`${report.run}: test report`)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    md.render(markdown),
    '<h2>Figures</h2>',
    ...figures,
    '</body></html>',
    '',
  ].join('\n');
}

/**
 * The HTML report: the core's Markdown report rendered through the app's sanitizer (no scripts, no
 * remote loads, links kept as text) into one self-contained page with its own print-friendly style.
 */
import { renderMarkdown } from '../../components/safe/sanitize';

const STYLE = `body{font:14px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#111}
pre{background:#f4f4f5;padding:.6em .8em;overflow-x:auto;border-radius:4px}
code{font-family:ui-monospace,monospace;font-size:12px}
table{border-collapse:collapse;font:12px ui-monospace,monospace;margin:.5em 0;display:block;overflow-x:auto}
th,td{border:1px solid #d4d4d8;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f5}h3{margin-top:2em}`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function reportHtml(title: string, markdown: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta name="generator" content="Megaraptor Desktop"><title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    renderMarkdown(markdown),
    '</body></html>',
    '',
  ].join('\n');
}

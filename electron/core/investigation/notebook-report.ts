/**
 * A notebook as a report for a case file, in Markdown: the notes as written, and for each VQL cell
 * the query as it ran, when (UTC), on which server and org, as which API user, how many rows, and the
 * first rows as a table. Endpoint data in tables is escaped so it stays text in any Markdown reader
 * (the app's HTML report renders this through its sanitizer). Pure (unit-tested).
 */
import type { Cell, CellRun, Notebook } from '../../../shared/contracts/notebooks';
import { cellText } from './cell-text';

/** Rows shown per cell; the report says how many more the cell had. */
export const REPORT_ROWS = 20;
/** Characters kept of one value in a table. */
const CELL_CHARS = 200;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `2026-12-06 11:30:25 UTC`: the app's time rule, in UTC (a case file has one zone). */
export function utcTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** Text that Markdown shows as it is: its syntax characters escaped, one line, bounded. */
export function mdText(s: string, max = CELL_CHARS): string {
  const one = s.replace(/\r?\n|\r/g, ' ');
  const cut = one.length > max ? `${one.slice(0, max)}…` : one;
  return cut.replace(/[\\`*_{}[\]()<>#+!|~&-]/g, (c) => `\\${c}`);
}

/** A fenced block that its content cannot close (the fence is longer than any run of backticks in it). */
function fence(lang: string, body: string): string {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}${lang}\n${body}\n${f}`;
}

function table(columns: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): string {
  if (columns.length === 0 || rows.length === 0) return '';
  const head = `| ${columns.map((c) => mdText(c)).join(' | ')} |`;
  const rule = `| ${columns.map(() => '---').join(' | ')} |`;
  const body = rows.map((r) => `| ${columns.map((c) => mdText(cellText(r[c]))).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

function runLine(run: CellRun): string {
  const where = `**${mdText(run.server)}** (\`${run.endpoint}\`${run.org ? `, org \`${run.org}\`` : ''})`;
  const rows = `${run.total.toLocaleString('en-US')} row${run.total === 1 ? '' : 's'}`;
  const secs = (run.elapsedMs / 1000).toFixed(2);
  return `Ran ${utcTime(run.ranAt)} on ${where} as \`${run.identity}\`: ${rows} in ${secs} s.`;
}

function vqlSection(cell: Cell, n: number, rows: ReadonlyArray<Record<string, unknown>>): string {
  const run = cell.run;
  const parts = [`### Query ${n}`];
  if (!run) return [...parts, fence('vql', cell.source), '_Not run._'].join('\n\n');
  parts.push(fence('vql', run.vql), runLine(run));
  if (run.vql !== cell.source)
    parts.push('_The cell was edited after this run; the query above is the one that ran._');
  if (run.error) parts.push(`**The query failed:** ${mdText(run.error, 2000)}`);
  const shown = rows.slice(0, REPORT_ROWS);
  if (shown.length) {
    parts.push(table(run.columns, shown));
    if (run.total > shown.length)
      parts.push(
        `_${shown.length} of ${run.total.toLocaleString('en-US')} rows shown; ${run.saved.toLocaleString('en-US')} are saved with the notebook._`,
      );
  } else if (run.total === 0) parts.push('_No rows._');
  return parts.join('\n\n');
}

/**
 * The report. `rowsOf(cellId)` gives a cell's first saved rows (at most REPORT_ROWS are used);
 * `exportedAt` is when the report is written.
 */
export function notebookReport(
  nb: Notebook,
  rowsOf: (cellId: string) => ReadonlyArray<Record<string, unknown>>,
  exportedAt: Date,
): string {
  let n = 0;
  const sections = nb.cells.map((c) => (c.kind === 'markdown' ? c.source : vqlSection(c, ++n, rowsOf(c.id))));
  const head = [
    `# ${mdText(nb.title, 200)}`,
    `_Report of the notebook, written ${utcTime(exportedAt.toISOString())} by Megaraptor Desktop. Created ${utcTime(nb.createdAt)}, last changed ${utcTime(nb.updatedAt)}._`,
  ];
  return [...head, ...sections].join('\n\n') + '\n';
}

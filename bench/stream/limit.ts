/** (a) the limit: JSON.parse of the same batches already in memory, and our exact parser on them. */
import { parseRows } from '../../electron/core/velociraptor/query/json';
import { DISTINCT_BATCHES, ROWS_PER_BATCH, makeBatch } from './data';

const total = Number(process.argv[2] ?? 1_000_000) / ROWS_PER_BATCH;
const out: Record<string, unknown> = {};
for (const big of [false, true]) {
  const batches = Array.from({ length: DISTINCT_BATCHES }, (_, i) => makeBatch(i, big));
  const bytes = batches.reduce((s, b) => s + b.length, 0) / DISTINCT_BATCHES;
  const measure = (name: string, parse: (s: string) => unknown[]): void => {
    let rows = 0;
    const t = performance.now();
    for (let i = 0; i < total; i++) rows += parse(batches[i % DISTINCT_BATCHES]!).length;
    const ms = performance.now() - t;
    out[`${name}${big ? '_big' : ''}`] = { rows, ms: Math.round(ms), rows_per_s: Math.round((rows / ms) * 1000) };
  };
  out[`bytes_per_row${big ? '_big' : ''}`] = Math.round(bytes / ROWS_PER_BATCH);
  measure('json_parse', (s) => JSON.parse(s) as unknown[]);
  measure('exact_parse', (s) => parseRows(s));
  if (big) measure('json_parse_reviver', (s) => JSON.parse(s, (_k, v: unknown) => v) as unknown[]);
}
out.peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(JSON.stringify(out) + '\n');

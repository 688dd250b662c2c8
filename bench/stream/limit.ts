/**
 * (a) the limit: JSON.parse of the same batches already in memory as strings; plus the parses a
 * client actually faces — from the bytes of the message — naive (toString + JSON.parse) and ours
 * (row-aligned slices, exact big integers), and a JSON.parse reviver for comparison.
 */
import { parseRowsBuffer } from '../../electron/core/velociraptor/query/batch-parse';
import { DISTINCT_BATCHES, ROWS_PER_BATCH, makeBatch } from './data';

const total = Number(process.argv[2] ?? 1_000_000) / ROWS_PER_BATCH;
const out: Record<string, unknown> = {};
for (const big of [false, true]) {
  const strings = Array.from({ length: DISTINCT_BATCHES }, (_, i) => makeBatch(i, big));
  const buffers = strings.map((s) => Buffer.from(s));
  const sfx = big ? '_big' : '';
  out[`bytes_per_row${sfx}`] = Math.round(
    buffers.reduce((s, b) => s + b.length, 0) / DISTINCT_BATCHES / ROWS_PER_BATCH,
  );
  const measure = (name: string, parse: (i: number) => unknown[]): void => {
    let rows = 0;
    const t = performance.now();
    for (let i = 0; i < total; i++) rows += parse(i % DISTINCT_BATCHES).length;
    const ms = performance.now() - t;
    out[`${name}${sfx}`] = { rows, ms: Math.round(ms), rows_per_s: Math.round((rows / ms) * 1000) };
  };
  measure('json_parse', (i) => JSON.parse(strings[i]!) as unknown[]);
  measure('json_parse_from_bytes', (i) => JSON.parse(buffers[i]!.toString('utf8')) as unknown[]);
  measure('ours_parse_from_bytes', (i) => parseRowsBuffer(buffers[i]!));
  if (big) measure('json_parse_reviver', (i) => JSON.parse(strings[i]!, (_k, v: unknown) => v) as unknown[]);
}
out.peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(JSON.stringify(out) + '\n');

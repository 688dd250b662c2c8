/**
 * Result store ingestion, in one process per mode (so RSS is the mode's own): 1,000,000 rows of the
 * simulator's bulk rows (`simulator_bulk_rows`, seeded, ~324 B a row, 1,000 a batch), each batch arriving as
 * its own buffer as a decoded gRPC message does, pushed into a ResultSet
 *   - parsed: parseRowsBuffer then ResultSet.push (every row an object, kept: the path before raw mode);
 *   - raw:    scanRows then ResultSet.pushRaw (the bytes kept, rows counted, parsed when read).
 * Prints CPU and wall time of the ingestion, GC time during it, RSS / heap / external memory after a
 * forced GC, and the time of a few reads on the full set (last page, sorted page, filtered page).
 * Usage: node --expose-gc <bundle> <parsed|raw> [rows]   (bench/stream/result-store.mjs runs both).
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { ResultSet } from '../../electron/core/investigation/result-store';
import { bulkBatch } from '../../electron/core/sim/bulk-rows';
import { parseRowsBuffer } from '../../electron/core/velociraptor/query/batch-parse';
import { scanRows } from '../../electron/core/velociraptor/query/row-scan';

const mode = process.argv[2] === 'parsed' ? 'parsed' : 'raw';
const rows = Number(process.argv[3] ?? 1_000_000);
const BATCH = 1000;
// The seeded fixture's batches in turn, as the simulator sends them (its pool repeats after 32).
const batches = Array.from({ length: 32 }, (_, k) => Buffer.from(bulkBatch(BATCH, k).json));
const columns = bulkBatch(BATCH).columns;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const mb = (b: number): number => Math.round(b / 1048576);

let gcMs = 0;
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
});
obs.observe({ entryTypes: ['gc'] });

function timed<T>(f: () => T): { ms: number; v: T } {
  const t = performance.now();
  const v = f();
  return { ms: Math.round((performance.now() - t) * 10) / 10, v };
}

async function main(): Promise<void> {
  gc();
  const base = process.memoryUsage();
  const set = new ResultSet('bench', 'bench');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  gcMs = 0;
  for (let n = 0; n < rows; n += BATCH) {
    // A decoded message: its own buffer (grpc-js concatenates each message into a fresh one).
    const json = batches[(n / BATCH) % batches.length] as Buffer;
    const bytes = Buffer.allocUnsafeSlow(json.length);
    json.copy(bytes);
    if (mode === 'parsed') set.push(parseRowsBuffer(bytes, 'string'), columns);
    else set.pushRaw({ bytes, ...scanRows(bytes) }, columns);
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // GC entries reach the observer asynchronously.
  await new Promise((r) => setTimeout(r, 100));
  const ingestGcMs = gcMs;
  gc();
  const mem = process.memoryUsage();
  const view = { sort: null, filter: '' };
  const last = timed(() => set.window(rows - 200, 200, view));
  const sorted = timed(() =>
    set.window(rows / 2, 200, { sort: { column: 'Hostname', desc: true }, filter: '' }),
  );
  const sortedAgain = timed(() =>
    set.window(rows / 2 + 200, 200, { sort: { column: 'Hostname', desc: true }, filter: '' }),
  );
  const filtered = timed(() => set.window(0, 200, { sort: null, filter: 'wks-ops-148' }));
  process.stdout.write(
    JSON.stringify({
      mode,
      rows: set.size,
      ingest_cpu_s: Math.round(((cpu.user + cpu.system) / 1e6) * 100) / 100,
      ingest_wall_s: Math.round(wallMs / 10) / 100,
      ingest_rows_per_s: Math.round(set.size / (wallMs / 1000)),
      ingest_gc_ms: Math.round(ingestGcMs),
      rss_mb: mb(mem.rss),
      heap_used_mb: mb(mem.heapUsed),
      external_mb: mb(mem.external + mem.arrayBuffers),
      rss_mb_before: mb(base.rss),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      window_last_page_ms: last.ms,
      window_sorted_page_ms: sorted.ms,
      window_sorted_next_page_ms: sortedAgain.ms,
      window_filtered_ms: filtered.ms,
      filtered_matched: filtered.v.matched,
      sorted_first: sorted.v.rows[0]?.[set.columns.indexOf('Hostname')],
    }) + '\n',
  );
  obs.disconnect();
}

void main();

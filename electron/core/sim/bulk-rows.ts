/**
 * SIMULATOR-ONLY plugin `simulator_bulk_rows(rows=, batch=)` for the stream benchmark. It is not a
 * Velociraptor plugin. It yields ~300-byte rows in batches that are serialised ONCE (per batch size)
 * and reused, so the server spends no CPU building rows and a benchmark measures the client.
 * Consequence: every batch carries the same rows (BatchRow 0..batch-1); only the count differs.
 */
import type { PluginDef, PreSerializedBatch } from './vql/scope';
import type { Row } from './vql/values';

const cache = new Map<number, PreSerializedBatch>();

function bulkRow(i: number): Row {
  return {
    BatchRow: i,
    Hostname: `bench-host-${String(i % 100).padStart(3, '0')}.corp.example`,
    Pid: 1000 + i,
    Name: 'svchost.exe',
    CommandLine: 'C:\\Windows\\System32\\svchost.exe -k netsvcs -p -s Schedule',
    Username: 'NT AUTHORITY\\SYSTEM',
    CreateTime: '2024-06-01T12:00:00Z',
    SHA256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  };
}

export function bulkBatch(size: number): PreSerializedBatch {
  let batch = cache.get(size);
  if (!batch) {
    const rows = Array.from({ length: size }, (_, i) => bulkRow(i));
    batch = {
      kind: 'pre-serialized-batch',
      json: JSON.stringify(rows),
      columns: Object.keys(rows[0] ?? {}),
      rowCount: size,
      rows: () => rows.map((r) => ({ ...r })),
    };
    cache.set(size, batch);
  }
  return batch;
}

export const bulkRowsPlugin: PluginDef = {
  name: 'simulator_bulk_rows',
  doc: 'SIMULATOR ONLY (not in Velociraptor): emits `rows` rows of ~300 bytes in pre-serialised batches of `batch` (default 1000) for benchmarks.',
  args: { rows: { type: 'int', required: true }, batch: { type: 'int' } },
  async *run(args, scope) {
    if (!scope.require('READ_RESULTS', 'simulator_bulk_rows')) return;
    const total = Math.max(0, Number(args.rows));
    const size = Math.max(1, Math.min(100_000, typeof args.batch === 'number' ? args.batch : 1000));
    let sent = 0;
    while (sent < total) {
      if (scope.ctx.signal.aborted) return;
      const n = Math.min(size, total - sent);
      yield bulkBatch(n);
      sent += n;
    }
  },
};

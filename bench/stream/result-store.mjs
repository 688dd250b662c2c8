#!/usr/bin/env node
// Result store micro-benchmark: bench/stream/result-store.ts in one process per mode (parsed / raw),
// alternating, --runs times each; prints every run, the medians and the raw ÷ parsed ratios.
// Usage: node bench/stream/result-store.mjs [--rows 1000000] [--runs 3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode, median } from '../lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ROWS = arg('--rows', 1_000_000);
const RUNS = Math.max(1, arg('--runs', 3));
const out = mkdtempSync(join(tmpdir(), 'mr-bench-store-'));
const r2 = (x) => Math.round(x * 100) / 100;

try {
  await bundleForNode({ store: join(here, 'result-store.ts') }, out);
  const runs = { parsed: [], raw: [] };
  const loadBefore = loadavg().map(r2);
  for (let i = 0; i < RUNS; i++) {
    for (const mode of i % 2 === 0 ? ['parsed', 'raw'] : ['raw', 'parsed']) {
      const r = spawnSync(process.execPath, ['--expose-gc', join(out, 'store.mjs'), mode, String(ROWS)], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      });
      if (r.status !== 0) throw new Error(`${mode} run failed: ${r.stderr}`);
      const o = JSON.parse(r.stdout.trim().split('\n').pop());
      if (o.rows !== ROWS) throw new Error(`${mode} held ${o.rows} rows, expected ${ROWS}`);
      o.load = loadavg().map(r2);
      runs[mode].push(o);
      console.log(JSON.stringify(o));
    }
  }
  const med = (mode, k) => median(runs[mode].map((r) => r[k]));
  const keys = [
    'ingest_cpu_s',
    'ingest_wall_s',
    'ingest_gc_ms',
    'rss_mb',
    'heap_used_mb',
    'external_mb',
    'peak_rss_mb',
    'window_last_page_ms',
    'window_sorted_page_ms',
    'window_sorted_next_page_ms',
    'window_filtered_ms',
  ];
  const summary = {
    rows: ROWS,
    runs: RUNS,
    node: process.version,
    load_before: loadBefore,
    load_after: loadavg().map(r2),
    median: {},
    ratio_raw_to_parsed: {},
  };
  for (const k of keys) {
    summary.median[k] = { parsed: med('parsed', k), raw: med('raw', k) };
    summary.ratio_raw_to_parsed[k] = med('parsed', k) ? r2(med('raw', k) / med('parsed', k)) : null;
  }
  console.log(JSON.stringify(summary, null, 2));
} finally {
  rmSync(out, { recursive: true, force: true });
}

#!/usr/bin/env node
// Core over WebSocket, no browser: the notebook cell `SELECT * FROM simulator_bulk_rows(rows=N)` run
// through `megaraptor serve` by a bare Node WebSocket client (the "core-only-over-websocket" step of
// bench/ui, without Chromium), next to the client-only reader (bench/stream/ours.ts) against the SAME
// simulator. Several CLI builds can be compared in one run (e.g. the commit before a change and after):
// they alternate, each serve process is fresh, and for each run it reports rows/s, the serve process's
// CPU seconds during the stream, its RSS while holding the rows (after a forced settle), and the time
// of a few `results:window` calls on the full set (last page; a page sorted by a column; a filtered page).
//
// Usage: node bench/stream/core-ws.mjs [--rows 1000000] [--runs 2] [--cli label=path/to/megaraptor.mjs ...]
//        [--serve-node-args "--cpu-prof --cpu-prof-dir=/tmp/prof"]   (node flags for the serve processes)
// Default --cli is out/cli/megaraptor.mjs (run `npm run build` or `node scripts/build-cli.mjs` first).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, cpuMsOf, rssOf, runCell, startServe, startSim, timed } from '../core-serve.mjs';
import { bundleForNode, median, stopProcess } from '../lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '..', '..');
const argv = process.argv.slice(2);
const num = (name, def) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const ROWS = num('--rows', 1_000_000);
const RUNS = Math.max(1, num('--runs', 2));
const clis = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] !== '--cli') continue;
  const v = argv[++i] ?? '';
  const eq = v.indexOf('=');
  clis.push(
    eq > 0 ? { label: v.slice(0, eq), path: resolve(v.slice(eq + 1)) } : { label: v, path: resolve(v) },
  );
}
if (clis.length === 0) clis.push({ label: 'current', path: join(ROOT, 'out', 'cli', 'megaraptor.mjs') });
for (const c of clis) {
  if (!existsSync(c.path)) {
    console.error(`${c.path} is missing: build the CLI first (node scripts/build-cli.mjs).`);
    process.exit(2);
  }
}
const si = argv.indexOf('--serve-node-args');
const SERVE_NODE_ARGS = si >= 0 ? (argv[si + 1] ?? '').split(' ').filter(Boolean) : [];
const QUERY = `SELECT * FROM simulator_bulk_rows(rows=${ROWS})`;
const r2 = (x) => Math.round(x * 100) / 100;
const load = () => loadavg().map(r2);
const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const tmp = mkdtempSync(join(tmpdir(), 'mr-bench-corews-'));
const children = [];

async function coreRun(cli, apiYaml, run) {
  const label = `${cli.label}-${run}`;
  const serve = await startServe({ cli: cli.path, dir: tmp, label, children, nodeArgs: SERVE_NODE_ARGS });
  const pid = serve.child.pid;
  try {
    const c = await connect(serve.value);
    const rss0 = rssOf(pid);
    const { done, ms, cpuMs } = await runCell(c, pid, apiYaml, QUERY);
    const cpu = cpuMs / 1000;
    if (done.total !== ROWS)
      throw new Error(`${cli.label}: the cell got ${done.total} rows, expected ${ROWS}`);
    // Let the stream's garbage go before reading what holding the rows costs.
    await new Promise((r) => setTimeout(r, 1500));
    const holding = rssOf(pid);
    const cpu0 = cpuMsOf(pid);
    const view = { sort: null, filter: '' };
    const last = await timed(() =>
      c.call('results:window', { resultId: done.resultId, offset: ROWS - 200, limit: 200, view }),
    );
    const sorted = await timed(() =>
      c.call('results:window', {
        resultId: done.resultId,
        offset: 0,
        limit: 200,
        view: { sort: { column: 'Hostname', desc: true }, filter: '' },
      }),
    );
    const sortedDeep = await timed(() =>
      c.call('results:window', {
        resultId: done.resultId,
        offset: Math.floor(ROWS / 2),
        limit: 200,
        view: { sort: { column: 'Hostname', desc: true }, filter: '' },
      }),
    );
    const filtered = await timed(() =>
      c.call('results:window', {
        resultId: done.resultId,
        offset: 0,
        limit: 200,
        view: { sort: null, filter: 'wks-ops-148' },
      }),
    );
    const cpuViews = (cpuMsOf(pid) - cpu0) / 1000;
    c.ws.close();
    const o = {
      step: 'core-only-over-websocket',
      build: cli.label,
      run,
      rows: done.total,
      ms: Math.round(ms),
      rows_per_s: Math.round(done.total / (ms / 1000)),
      core_serve_cpu_s: r2(cpu),
      core_cpu_s_per_1m_rows: r2((cpu * 1_000_000) / done.total),
      stream_events: done.events,
      serve_rss_mb_before: rss0.rss,
      serve_rss_mb_holding_rows: holding.rss,
      serve_peak_rss_mb: holding.peak,
      window_last_page_ms: last.ms,
      window_sorted_first_page_ms: sorted.ms,
      window_sorted_middle_page_ms: sortedDeep.ms,
      window_filtered_ms: filtered.ms,
      filtered_matched: filtered.v.matched,
      sorted_first_cell: sorted.v.rows[0]?.[sorted.v.columns.indexOf('Hostname')],
      cpu_s_for_the_window_calls: r2(cpuViews),
      load: load(),
    };
    emit(o);
    return o;
  } finally {
    await stopProcess(serve.child);
  }
}

function clientOnly(ours, apiConfig) {
  const r = spawnSync(
    'bash',
    ['-c', '"$0" "$1" "$2" "$3" && times >&2', process.execPath, ours, apiConfig, QUERY],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  if (r.status !== 0) throw new Error(`client-only reader failed: ${r.stderr}`);
  const o = JSON.parse(r.stdout.trim().split('\n').pop());
  const t = r.stderr
    .trim()
    .split('\n')
    .pop()
    .match(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/);
  const cpu = t ? Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4]) : NaN;
  if (o.rows !== ROWS) throw new Error(`client-only reader counted ${o.rows} rows, expected ${ROWS}`);
  const res = {
    step: 'client-only',
    rows: o.rows,
    rows_per_s: o.rows_per_s,
    cpu_s: r2(cpu),
    peak_rss_mb: o.peak_rss_mb,
    load: load(),
  };
  emit(res);
  return res;
}

try {
  await bundleForNode({ ours: join(here, 'ours.ts') }, tmp);
  const sim = await startSim({ cli: clis[0].path, dir: tmp, name: 'bench-core', children });
  const { apiConfig, apiYaml } = sim;
  const loadBefore = load();
  const client = [];
  const core = Object.fromEntries(clis.map((c) => [c.label, []]));
  for (let run = 0; run < RUNS; run++) {
    client.push(clientOnly(join(tmp, 'ours.mjs'), apiConfig));
    // Alternate the order between runs so no build always goes first.
    const order = run % 2 === 0 ? clis : [...clis].reverse();
    for (const c of order) core[c.label].push(await coreRun(c, apiYaml, run));
  }
  client.push(clientOnly(join(tmp, 'ours.mjs'), apiConfig));
  await stopProcess(sim.child);
  const summary = {
    step: 'summary',
    date: new Date().toISOString(),
    node: process.version,
    rows: ROWS,
    runs: RUNS,
    client_only_rows_per_s: client.map((c) => c.rows_per_s),
    client_only_cpu_s: client.map((c) => c.cpu_s),
    builds: Object.fromEntries(
      Object.entries(core).map(([label, rs]) => [
        label,
        {
          rows_per_s: rs.map((r) => r.rows_per_s),
          median_rows_per_s: median(rs.map((r) => r.rows_per_s)),
          core_cpu_s: rs.map((r) => r.core_serve_cpu_s),
          median_core_cpu_s: median(rs.map((r) => r.core_serve_cpu_s)),
          rss_mb_holding_rows: rs.map((r) => r.serve_rss_mb_holding_rows),
          ratio_to_client_mean: r2(
            median(rs.map((r) => r.rows_per_s)) /
              (client.reduce((a, c) => a + c.rows_per_s, 0) / client.length),
          ),
        },
      ]),
    ),
    load_before: loadBefore,
    load_after: load(),
  };
  emit(summary);
} catch (e) {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 1;
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  rmSync(tmp, { recursive: true, force: true });
}

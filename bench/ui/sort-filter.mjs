#!/usr/bin/env node
// Sort and filter a million rows (issue 14, item 14): what a responder waits for after clicking a column
// header or typing in the grid's filter, measured on the core the grid talks to. One simulator; for
// each build — the working tree and a baseline git revision, built here in a temporary tree — a fresh
// `megaraptor serve` runs the notebook cell `SELECT * FROM simulator_bulk_rows(rows=N)` over its
// WebSocket, then asks `results:window` as the grid does:
//   - sort by Hostname (desc): the first page (builds the view), the next five pages, a middle page;
//   - the same column ascending (the keys are kept), then by Pid (another column);
//   - filter "wks-ops-148" (one host of the seeded fixture, ~1.5% of the rows): first page and next
//     page; the same filter sorted by Pid;
// and reads the serve process's RSS holding the rows before the views and after them (peak included),
// and the serve process's CPU time per call and for the stream that filled the set (/proc/<pid>/stat,
// 10 ms ticks): wall times on this shared machine follow the load, CPU time much less.
// The rows: the simulator's seeded bulk rows (electron/core/sim/bulk-rows.ts, seed 1), served by the
// working tree's simulator to every build, so base and current read the same bytes in one run.
// Builds alternate per run; the summary prints medians and current ÷ baseline ratios from the same run.
//
// Usage: node bench/ui/sort-filter.mjs [--rows 1000000] [--runs 2] [--base <git rev>] [--cli label=path ...]
// --base defaults to main before the column copies (c1e306b: one-pass sort keys read from restored
// batches; fd4525a is the sort keys of 73809e6, 73da686 the code before any sort keys); --cli adds
// builds as they are (default: the working tree, bundled fresh by scripts/build-cli.mjs).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli } from '../../scripts/build-cli.mjs';
import { connect, cpuMsOf, rssOf, runCell, startServe, startSim, timed } from '../core-serve.mjs';
import { median, stopProcess } from '../lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '..', '..');
const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
};
const ROWS = Number(opt('--rows', 1_000_000));
const RUNS = Math.max(1, Number(opt('--runs', 2)));
const BASE = opt('--base', 'c1e306b');
const FILTER = opt('--filter', 'wks-ops-148');
const QUERY = `SELECT * FROM simulator_bulk_rows(rows=${ROWS})`;
const PAGE = 200;
const TARGETS = { first_sorted_page_ms: 1000, page_after_ms: 50, extra_rss_mb: 100 };
const r1 = (x) => Math.round(x * 10) / 10;
const r2 = (x) => Math.round(x * 100) / 100;
const load = () => loadavg().map(r2);
const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const tmp = mkdtempSync(join(tmpdir(), 'mr-bench-sort-'));
const children = [];

/** The CLI of a git revision: its tree extracted, node_modules linked, proto generated, CLI bundled. */
function buildAt(rev) {
  const dir = join(tmp, `tree-${rev}`);
  mkdirSync(dir);
  const run = (cmd, args, cwd) => {
    const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
    return r;
  };
  const tar = spawnSync('git', ['archive', rev], { cwd: ROOT, maxBuffer: 1 << 30 });
  if (tar.status !== 0) throw new Error(`git archive ${rev} failed: ${tar.stderr}`);
  const x = spawnSync('tar', ['-x', '-C', dir], { input: tar.stdout });
  if (x.status !== 0) throw new Error(`tar failed: ${x.stderr}`);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  run(process.execPath, [join(dir, 'scripts', 'gen-proto.mjs')], dir);
  run(process.execPath, [join(dir, 'scripts', 'build-cli.mjs')], dir);
  return join(dir, 'out', 'cli', 'megaraptor.mjs');
}

async function run(build, apiYaml, n) {
  const serve = await startServe({ cli: build.path, dir: tmp, label: `${build.label}-${n}`, children });
  const pid = serve.child.pid;
  try {
    const c = await connect(serve.value);
    const { done, cpuMs: ingestCpu } = await runCell(c, pid, apiYaml, QUERY);
    if (done.total !== ROWS) throw new Error(`${build.label}: ${done.total} rows, expected ${ROWS}`);
    // Let the stream's garbage go before reading what holding the rows costs.
    await new Promise((r) => setTimeout(r, 1500));
    const holding = rssOf(pid);
    const win = async (offset, view) => {
      const cpu0 = cpuMsOf(pid);
      const t = await timed(() =>
        c.call('results:window', { resultId: done.resultId, offset, limit: PAGE, view }),
      );
      return { ...t, cpu: Math.round(cpuMsOf(pid) - cpu0) };
    };
    const byHost = { sort: { column: 'Hostname', desc: true }, filter: '' };
    const first = await win(0, byHost);
    const after = [];
    for (let p = 1; p <= 5; p++) after.push((await win(p * PAGE, byHost)).ms);
    const middle = await win(Math.floor(ROWS / 2), byHost);
    const asc = await win(0, { sort: { column: 'Hostname', desc: false }, filter: '' });
    const byPid = await win(0, { sort: { column: 'Pid', desc: false }, filter: '' });
    const filter = { sort: null, filter: FILTER };
    const filtered = await win(0, filter);
    const filteredNext = await win(PAGE, filter);
    const filteredSorted = await win(0, { sort: { column: 'Pid', desc: true }, filter: FILTER });
    const views = rssOf(pid);
    c.ws.close();
    const hostCol = first.v.columns.indexOf('Hostname');
    const o = {
      build: build.label,
      run: n,
      rows: done.total,
      ingest_cpu_ms: Math.round(ingestCpu),
      rss_mb_holding_rows: holding.rss,
      first_sorted_page_ms: first.ms,
      first_sorted_page_cpu_ms: first.cpu,
      next_pages_ms: after,
      page_after_max_ms: Math.max(...after, middle.ms),
      middle_page_ms: middle.ms,
      same_column_ascending_ms: asc.ms,
      other_column_pid_ms: byPid.ms,
      other_column_pid_cpu_ms: byPid.cpu,
      filtered_first_page_ms: filtered.ms,
      filtered_first_page_cpu_ms: filtered.cpu,
      filtered_next_page_ms: filteredNext.ms,
      filtered_sorted_ms: filteredSorted.ms,
      filtered_sorted_cpu_ms: filteredSorted.cpu,
      filtered_matched: filtered.v.matched,
      sorted_first: first.v.rows[0]?.[hostCol],
      sorted_last_of_first_page: first.v.rows.at(-1)?.[hostCol],
      rss_mb_after_views: views.rss,
      peak_rss_mb: views.peak,
      extra_rss_mb: views.peak - holding.rss,
      load: load(),
    };
    emit(o);
    return o;
  } finally {
    await stopProcess(serve.child);
  }
}

try {
  const builds = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== '--cli') continue;
    const v = argv[++i] ?? '';
    const eq = v.indexOf('=');
    builds.push({ label: eq > 0 ? v.slice(0, eq) : v, path: resolve(eq > 0 ? v.slice(eq + 1) : v) });
  }
  if (builds.length === 0)
    builds.push({ label: 'current', path: await buildCli(join(tmp, 'current', 'megaraptor.mjs')) });
  if (BASE !== 'none') builds.unshift({ label: `base ${BASE}`, path: buildAt(BASE) });
  const sim = await startSim({ cli: builds.at(-1).path, dir: tmp, name: 'bench-sort', children });
  const apiYaml = sim.apiYaml;
  const loadBefore = load();
  const runs = Object.fromEntries(builds.map((b) => [b.label, []]));
  for (let n = 0; n < RUNS; n++) {
    const order = n % 2 === 0 ? builds : [...builds].reverse();
    for (const b of order) runs[b.label].push(await run(b, apiYaml, n));
  }
  await stopProcess(sim.child);
  const keys = [
    'ingest_cpu_ms',
    'first_sorted_page_ms',
    'first_sorted_page_cpu_ms',
    'page_after_max_ms',
    'middle_page_ms',
    'same_column_ascending_ms',
    'other_column_pid_ms',
    'other_column_pid_cpu_ms',
    'filtered_first_page_ms',
    'filtered_first_page_cpu_ms',
    'filtered_next_page_ms',
    'filtered_sorted_ms',
    'filtered_sorted_cpu_ms',
    'rss_mb_holding_rows',
    'peak_rss_mb',
    'extra_rss_mb',
  ];
  const med = Object.fromEntries(
    Object.entries(runs).map(([label, rs]) => [
      label,
      Object.fromEntries(keys.map((k) => [k, median(rs.map((r) => r[k]))])),
    ]),
  );
  const labels = Object.keys(med);
  const base = BASE !== 'none' ? med[labels[0]] : undefined;
  const cur = med[labels.at(-1)];
  emit({
    step: 'summary',
    date: new Date().toISOString(),
    node: process.version,
    rows: ROWS,
    runs: RUNS,
    median: med,
    ...(base
      ? { ratio_current_to_base: Object.fromEntries(keys.map((k) => [k, r2(cur[k] / base[k])])) }
      : {}),
    targets: TARGETS,
    meets: {
      first_sorted_page: cur.first_sorted_page_ms < TARGETS.first_sorted_page_ms,
      page_after: cur.page_after_max_ms < TARGETS.page_after_ms,
      memory: base ? cur.peak_rss_mb < base.rss_mb_holding_rows + TARGETS.extra_rss_mb : null,
    },
    load_before: loadBefore,
    load_after: load(),
  });
} catch (e) {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 1;
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  rmSync(tmp, { recursive: true, force: true });
}

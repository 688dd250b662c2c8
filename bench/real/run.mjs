#!/usr/bin/env node
// Real peers on a real server (issue 12 item 5), run by hand: the same run streams N rows from a
// real Velociraptor server with `megaraptor vql` (--format jsonl: the server's row bytes passed
// through; default JSON: parsed rows) and with pyvelociraptor (its CLI as shipped, and its gRPC
// stubs writing JSON lines like ours: bench/real/py_peer.py), each reader its own process with stdout
// to a file, alternating, medians of --runs; then a typical MCP read (search_clients over stdio,
// the built CLI) against the same query made by pyvelociraptor on one channel, p50 of --calls.
// Needs `npm run build` and a Python with bench/requirements.txt (e.g. a venv):
//   node bench/real/run.mjs --api-config admin.yaml --python venv/bin/python [--rows 1000000] [--runs 3]
//     [--calls 100] [--query VQL] [--no-mcp]
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode, median } from '../lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const opt = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const config = opt('--api-config');
const python = opt('--python', 'python3');
const ROWS = Number(opt('--rows', 1_000_000));
const RUNS = Number(opt('--runs', 3));
const CALLS = Number(opt('--calls', 100));
if (!config) {
  console.error(
    'usage: node bench/real/run.mjs --api-config FILE [--python PY] [--rows N] [--runs N] [--calls N]',
  );
  process.exit(2);
}
const CLI = join(root, 'out', 'cli', 'megaraptor.mjs');
const pyCli = join(dirname(python), 'pyvelociraptor');

// ~300-byte rows made on the server (no client data needed): the same text for every reader.
// --query replaces it (it must return exactly --rows rows), e.g. `SELECT * FROM bench(rows=N)` on
// bench/stream's server, which serves batches serialised once: the clients' own limit.
const QUERY =
  opt('--query') ??
  "SELECT _value AS Row, 'C.5ca8c96240f86ade' AS ClientId, '/usr/lib/x86_64-linux-gnu/libexample.so.6.0.30' AS Path, " +
    "1796577035707000 + _value AS Timestamp, 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod " +
    "tempor incididunt ut labore et dolore' AS Message, _value * 4096 AS Size, " +
    `'S-1-5-21-3623811015-3361044348-30300820-1013' AS Sid FROM range(start=0, end=${ROWS})`;

class SkipMcp extends Error {}
const tmp = mkdtempSync(join(tmpdir(), 'mr-bench-real-'));
const cache = join(root, 'node_modules', '.cache');

function timed(name, cmd, args, countRows) {
  const outFile = join(tmp, `${name}.out`);
  const fd = openSync(outFile, 'w');
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', cmd, ...args], {
    stdio: ['ignore', fd, 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const s = (performance.now() - t) / 1000;
  closeSync(fd);
  if (r.status !== 0) throw new Error(`${name} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const [rssKb, user, sys] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  const rows = countRows(outFile, r.stderr);
  const bytes = statSync(outFile).size;
  rmSync(outFile);
  // The reader's own CPU (user + sys): what it costs the machine to read and write the rows, whether
  // or not the server is the bottleneck of the wall time.
  const cpuS = user + sys;
  return { name, s, rows, rowsPerS: rows / s, cpuS, rowsPerCpuS: rows / cpuS, rssMb: rssKb / 1024, bytes };
}

function lines(file) {
  const b = readFileSync(file);
  let n = 0;
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
  return n;
}

const readers = {
  'megaraptor vql --format jsonl': () =>
    timed(
      'ours-jsonl',
      process.execPath,
      [CLI, 'vql', '--quiet', '--format', 'jsonl', '--api-config', config, QUERY],
      lines,
    ),
  'megaraptor vql (JSON, parsed)': () =>
    timed(
      'ours-json',
      process.execPath,
      [CLI, 'vql', '--quiet', '--api-config', config, QUERY],
      (f) => lines(f) - 2,
    ),
  'pyvelociraptor stubs, JSON lines (parsed)': () =>
    timed('py-jsonl', python, [join(here, 'py_peer.py'), config, 'rows', QUERY], (_f, err) =>
      Number(JSON.parse(err.trim().split('\n').at(-2)).rows),
    ),
  'pyvelociraptor CLI as shipped': () => timed('py-cli', pyCli, ['--config', config, QUERY], () => ROWS),
};

try {
  const load = [loadavg()[0]];
  const results = Object.fromEntries(Object.keys(readers).map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) {
    const names = Object.keys(readers);
    for (const name of i % 2 ? names.reverse() : names) {
      const r = readers[name]();
      if (name !== 'pyvelociraptor CLI as shipped' && r.rows !== ROWS)
        throw new Error(`${name} read ${r.rows} rows, expected ${ROWS}`);
      results[name].push(r);
      console.log(JSON.stringify({ run: i, reader: name, ...r }));
    }
    load.push(loadavg()[0]);
  }
  const PEER = 'pyvelociraptor stubs, JSON lines (parsed)';
  const peer = median(results[PEER].map((r) => r.rowsPerS));
  const peerCpu = median(results[PEER].map((r) => r.rowsPerCpuS));
  console.log(`\n${ROWS} rows x ${RUNS} runs, 1-min load ${load.map((l) => l.toFixed(1)).join(' → ')}\n`);
  console.log(
    '| Reader | median rows/s (wall) | ratio | median rows per CPU-s of the reader | ratio | CPU-s | peak RSS |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  const fmt = (x) => Math.round(x).toLocaleString('en');
  for (const [name, rs] of Object.entries(results)) {
    const m = median(rs.map((r) => r.rowsPerS));
    const c = median(rs.map((r) => r.rowsPerCpuS));
    const rss = rs.map((r) => r.rssMb);
    console.log(
      `| ${name} | ${fmt(m)} | ${(m / peer).toFixed(2)}× | ${fmt(c)} | ${(c / peerCpu).toFixed(2)}× | ${median(rs.map((r) => r.cpuS)).toFixed(2)} | ${Math.round(Math.min(...rss))}–${Math.round(Math.max(...rss))} MB |`,
    );
  }
  console.log(`(ratios against "${PEER}")`);

  // A typical MCP read: search_clients (all clients) through the stdio MCP server vs the same query
  // made by pyvelociraptor on one open channel.
  const out = mkdtempSync(join(cache, 'mr-bench-real-'));
  try {
    if (process.argv.includes('--no-mcp')) throw new SkipMcp();
    await bundleForNode({ 'mcp-read': join(here, 'mcp-read.ts') }, out);
    const mcp = spawnSync(
      process.execPath,
      [
        join(out, 'mcp-read.mjs'),
        CLI,
        config,
        'search_clients',
        JSON.stringify({ search: 'all' }),
        String(CALLS),
      ],
      { encoding: 'utf8' },
    );
    if (mcp.status !== 0) throw new Error(`MCP read failed: ${mcp.stderr}`);
    const ours = JSON.parse(mcp.stdout.trim().split('\n').at(-1)).ms;
    const py = spawnSync(
      python,
      [
        join(here, 'py_peer.py'),
        config,
        'calls',
        "SELECT * FROM clients(search='all') LIMIT 100",
        String(CALLS),
      ],
      { encoding: 'utf8' },
    );
    if (py.status !== 0) throw new Error(`python calls failed: ${py.stderr}`);
    const theirs = JSON.parse(py.stderr.trim().split('\n').at(-1)).ms;
    const p = (xs, q) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];
    console.log(`\nMCP read (search_clients 'all', ${CALLS} calls after 5 warm-up):`);
    console.log(`| Path | p50 | p90 |\n| --- | --- | --- |`);
    console.log(
      `| megaraptor MCP over stdio (search_clients) | ${p(ours, 0.5).toFixed(2)} ms | ${p(ours, 0.9).toFixed(2)} ms |`,
    );
    console.log(
      `| pyvelociraptor, same query, one channel | ${p(theirs, 0.5).toFixed(2)} ms | ${p(theirs, 0.9).toFixed(2)} ms |`,
    );
  } catch (e) {
    if (!(e instanceof SkipMcp)) throw e;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

#!/usr/bin/env node
// Stream benchmark (issue 4): 1,000,000 rows (~300 B, batches of 1000) from a bench server over
// mTLS, read by (b) the Python peers' way and (c) our client's public query path; (a) JSON.parse of
// the same batches in memory. Each reader runs in its own process (peak RSS is per process) and
// they alternate; medians of --runs (default 3). The peer client is the session's shared
// py-peer-client.py, found next to the repository (../shared/bench/), run by Debian's Python with
// grpcio unless --python names another.
// Usage: node bench/stream/run.mjs [--rows N] [--runs N] [--python PY]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bundleForNode, median } from '../lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ROWS = arg('--rows', 1_000_000);
const RUNS = arg('--runs', 3);
const pythonAt = process.argv.indexOf('--python');
const PYTHON = pythonAt > 0 ? process.argv[pythonAt + 1] : '/usr/bin/python3';
const PEER_CLIENT = join(here, '..', '..', '..', 'shared', 'bench', 'py-peer-client.py');
if (!existsSync(PEER_CLIENT)) {
  console.error(
    `bench/stream: the peer client is missing: ${PEER_CLIENT} (../shared/bench/ next to the repository)`,
  );
  process.exit(2);
}
const out = mkdtempSync(join(tmpdir(), 'mr-bench-build-'));

await bundleForNode(
  { server: join(here, 'server.ts'), ours: join(here, 'ours.ts'), limit: join(here, 'limit.ts') },
  out,
);

const server = spawn(process.execPath, [join(out, 'server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
const info = await new Promise((resolve, reject) => {
  createInterface({ input: server.stdout }).once('line', (l) => resolve(JSON.parse(l)));
  server.once('exit', (c) => reject(new Error(`bench server exited ${c}`)));
});

function runJson(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const results = {};
try {
  results.limit = runJson(process.execPath, [join(out, 'limit.mjs'), String(ROWS)]);
  for (const variant of ['plain', 'big']) {
    const query = `SELECT * FROM bench(rows=${ROWS}${variant === 'big' ? ', big' : ''})`;
    const peer = [];
    const ours = [];
    for (let i = 0; i < RUNS; i++) {
      peer.push(runJson(PYTHON, [PEER_CLIENT, '--api-config', info.configPath, query]));
      ours.push(runJson(process.execPath, [join(out, 'ours.mjs'), info.configPath, query]));
    }
    for (const r of [...peer, ...ours])
      if (r.rows !== ROWS) throw new Error(`a reader counted ${r.rows} rows, expected ${ROWS}`);
    const p = median(peer.map((r) => r.rows_per_s));
    const o = median(ours.map((r) => r.rows_per_s));
    // Best-of filters interference from other processes on a shared machine; medians are kept too.
    const pb = Math.max(...peer.map((r) => r.rows_per_s));
    const ob = Math.max(...ours.map((r) => r.rows_per_s));
    results[variant] = {
      peer_rows_per_s: p,
      ours_rows_per_s: o,
      ratio_ours_to_peer: Math.round((o / p) * 100) / 100,
      peer_best_rows_per_s: pb,
      ours_best_rows_per_s: ob,
      ratio_best: Math.round((ob / pb) * 100) / 100,
      peer_peak_rss_mb: Math.max(...peer.map((r) => r.peak_rss_mb)),
      ours_peak_rss_mb: Math.max(...ours.map((r) => r.peak_rss_mb)),
      ours_bigint_rows: ours[0].bigint_rows,
      runs: { peer: peer.map((r) => r.rows_per_s), ours: ours.map((r) => r.rows_per_s) },
    };
  }
  const lim = results.limit.json_parse.rows_per_s;
  results.ratio_ours_big_to_peer = results.big.ratio_ours_to_peer;
  results.ratio_ours_to_json_parse_limit = Math.round((results.plain.ours_rows_per_s / lim) * 100) / 100;
  console.log(
    JSON.stringify(
      {
        rows: ROWS,
        runs: RUNS,
        node: process.version,
        loadavg_1m_at_end: Math.round(loadavg()[0] * 10) / 10,
        ...results,
      },
      null,
      2,
    ),
  );
} finally {
  server.kill();
  rmSync(out, { recursive: true, force: true });
  rmSync(info.dir, { recursive: true, force: true });
}

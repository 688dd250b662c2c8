// What the benches that drive `megaraptor serve` over its WebSocket share (bench/stream/core-ws.mjs,
// bench/ui/sort-filter.mjs): the simulator serving the seeded bulk rows, a serve process per build and
// run, a tiny client of the app's protocol, the notebook cell that streams the rows into a result set,
// and the serve process's CPU time and memory from /proc.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startProcess } from './lib.mjs';

const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU milliseconds (user + system) a process has used: /proc/<pid>/stat fields 14 and 15, in ticks. */
export function cpuMsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS;
}

/** A process's resident memory now and at its peak, in MB. */
export function rssOf(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((s.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm')) ?? [])[1] ?? NaN);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

/** `f()`'s value and its wall time in ms (one decimal). */
export async function timed(f) {
  const t = performance.now();
  const v = await f();
  return { ms: Math.round((performance.now() - t) * 10) / 10, v };
}

/** The simulator (run by `cli`) with an API config written into `dir`; resolves with its YAML. */
export async function startSim({ cli, dir, name, children }) {
  const apiConfig = join(dir, 'api.config.yaml');
  const sim = await startProcess({
    script: cli,
    args: ['sim', '--write-api-config', apiConfig, '--role', 'investigator', '--name', name],
    ready: () => existsSync(apiConfig) && readFileSync(apiConfig, 'utf8').includes('api_connection_string'),
    cwd: dir,
    children,
  });
  return { child: sim.child, apiConfig, apiYaml: readFileSync(apiConfig, 'utf8') };
}

/**
 * A fresh `megaraptor serve` of `cli` with its own data folder (`dir`/data-`label`) and an empty
 * renderer (the benches talk to the core only); resolves once it listens.
 */
export function startServe({ cli, dir, label, children, nodeArgs = [] }) {
  const rendererDir = join(dir, 'renderer');
  if (!existsSync(rendererDir)) {
    mkdirSync(rendererDir);
    writeFileSync(join(rendererDir, 'index.html'), '<html></html>');
  }
  return startProcess({
    script: cli,
    args: ['serve', '--port', '0', '--json', '--renderer-dir', rendererDir],
    env: { MEGARAPTOR_DATA_DIR: join(dir, `data-${label}`) },
    ready: (out) => {
      const line = out.split('\n').find((l) => l.startsWith('{"event":"listening"'));
      return line ? JSON.parse(line) : null;
    },
    cwd: dir,
    nodeArgs,
    children,
  });
}

/** A tiny client of the app's WebSocket protocol: calls and streams. */
export function connect(info) {
  const ws = new WebSocket(`ws://127.0.0.1:${info.port}/rpc?token=${encodeURIComponent(info.token)}`, {
    origin: info.origin,
  });
  const pending = new Map();
  const streams = new Map();
  let seq = 0;
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString());
    if (m.type === 'result') pending.get(m.id)?.(m.envelope);
    else if (m.type === 'event') streams.get(m.event.id)?.(m.event);
  });
  const call = (channel, input) =>
    new Promise((res, rej) => {
      const id = `c${++seq}`;
      pending.set(id, (env) => {
        pending.delete(id);
        if (env.ok) res(env.value);
        else rej(new Error(`${channel}: ${JSON.stringify(env.error)}`));
      });
      ws.send(JSON.stringify({ type: 'call', id, channel, input }));
    });
  const stream = (channel, input, onEvent) => {
    const id = `s${++seq}`;
    streams.set(id, onEvent);
    ws.send(JSON.stringify({ type: 'stream', id, channel, input }));
  };
  return new Promise((res, rej) => {
    ws.once('open', () => res({ ws, call, stream }));
    ws.once('error', rej);
  });
}

/**
 * Imports the simulator's API config into the connected serve and runs `vql` as a notebook cell to its
 * end; resolves with the `done` event (its `total` rows and `resultId`), the data events seen, and the
 * serve process's wall and CPU milliseconds for the stream.
 */
export async function runCell(c, pid, apiYaml, vql) {
  await c.call('connections:import', { name: 'bench', yaml: apiYaml, storage: 'session' });
  const cpu0 = cpuMsOf(pid);
  const t0 = performance.now();
  const done = await new Promise((res, rej) => {
    let resultId = '';
    let events = 0;
    c.stream('vql:run', { target: { server: 'bench', org: '' }, vql }, (ev) => {
      if (ev.type === 'error') return rej(new Error(`vql:run failed: ${JSON.stringify(ev.error)}`));
      if (ev.type !== 'data') return;
      events++;
      if (ev.data.type === 'started') resultId = ev.data.resultId;
      if (ev.data.type === 'done') res({ ...ev.data, resultId, events });
    });
  });
  return { done, ms: performance.now() - t0, cpuMs: cpuMsOf(pid) - cpu0 };
}

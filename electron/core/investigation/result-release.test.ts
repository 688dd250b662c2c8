/**
 * Result sets go with the socket that made them: the whole core (composition root) behind the
 * browser-mode server, a notebook cell run against the in-process demo simulator over one WebSocket,
 * then that socket closed while another stays open.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Envelope } from '../../../shared/contract';
import { contract } from '../../../shared/contracts/index';
import type { ServerMessage } from '../../../shared/wire';
import { Dispatcher } from '../rpc/dispatcher';
import { startBrowserServer, type BrowserServer } from '../server/server';
import { createCoreServices, type CoreServices } from '../services';
import { DEMO_NAME } from '../connections/index';

let dir: string;
let core: CoreServices;
let server: BrowserServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mr-release-'));
  mkdirSync(join(dir, 'renderer'));
  writeFileSync(join(dir, 'renderer', 'index.html'), '<html></html>');
  core = createCoreServices({
    mode: 'browser',
    version: '0.0.0-test',
    env: { MEGARAPTOR_DATA_DIR: join(dir, 'data'), MEGARAPTOR_MCP_PORT: '0' },
    probeKeychain: () => Promise.resolve({ available: false, backend: 'test', detail: 'none' }),
  });
  server = await startBrowserServer({
    dispatcher: new Dispatcher(contract, core.handlers),
    rendererDir: join(dir, 'renderer'),
  });
});

afterAll(async () => {
  await server.close();
  await core.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface Client {
  ws: WebSocket;
  call(channel: string, input: unknown): Promise<Envelope<unknown>>;
  run(vql: string): Promise<{ resultId: string; total: number }>;
}

let seq = 0;
async function open(): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rpc?token=${encodeURIComponent(server.token)}`, {
    origin: server.origin,
  });
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  const waiters = new Map<string, (m: ServerMessage) => void>();
  ws.on('message', (raw: Buffer) => {
    const m = JSON.parse(raw.toString()) as ServerMessage;
    const id = m.type === 'result' ? m.id : m.type === 'event' ? m.event.id : '';
    waiters.get(id)?.(m);
  });
  return {
    ws,
    call: (channel, input) =>
      new Promise((resolve) => {
        const id = `c${++seq}`;
        waiters.set(id, (m) => m.type === 'result' && resolve(m.envelope));
        ws.send(JSON.stringify({ type: 'call', id, channel, input }));
      }),
    run: (vql) =>
      new Promise((resolve, reject) => {
        const id = `s${++seq}`;
        let resultId = '';
        waiters.set(id, (m) => {
          if (m.type !== 'event') return;
          const ev = m.event;
          if (ev.type === 'error') reject(new Error(ev.error.message));
          if (ev.type !== 'data') return;
          const d = ev.data as { type: string; resultId?: string; total?: number };
          if (d.type === 'started') resultId = d.resultId ?? '';
          if (d.type === 'done') resolve({ resultId, total: d.total ?? -1 });
        });
        ws.send(
          JSON.stringify({
            type: 'stream',
            id,
            channel: 'vql:run',
            input: { target: { server: DEMO_NAME, org: '' }, vql },
          }),
        );
      }),
  };
}

const window = (c: Client, resultId: string) =>
  c.call('results:window', { resultId, offset: 2990, limit: 20 });

describe('result sets and closed sockets', () => {
  it('a closed WebSocket frees the result sets it made; other sockets keep theirs', async () => {
    const a = await open();
    const b = await open();
    expect((await a.call('connections:demo', {})).ok).toBe(true);
    const ofA = await a.run('SELECT * FROM simulator_bulk_rows(rows=3000)');
    const ofB = await b.run('SELECT * FROM simulator_bulk_rows(rows=3000)');
    expect(ofA.total).toBe(3000);
    const before = await window(b, ofA.resultId);
    expect(before).toMatchObject({ ok: true, value: { total: 3000, matched: 3000 } });
    expect((before as { value: { rows: string[][] } }).value.rows).toHaveLength(10);

    a.ws.close();
    let after: Envelope<unknown> = before;
    for (let i = 0; i < 100 && after.ok; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = await window(b, ofA.resultId);
    }
    expect(after).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await window(b, ofB.resultId)).toMatchObject({ ok: true, value: { total: 3000 } });
    b.ws.close();
  });
});

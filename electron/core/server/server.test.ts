import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { call, stream } from '../../../shared/contract';
import type { ServerMessage } from '../../../shared/wire';
import { Dispatcher } from '../rpc/dispatcher';
import { startBrowserServer, type BrowserServer } from './server';

const contract = {
  'echo:say': call(z.object({ text: z.string() }).strict(), z.object({ text: z.string() })),
  'tick:forever': stream(z.object({}), z.number()),
};
const dispatcher = new Dispatcher(contract, {
  'echo:say': ({ text }) => ({ text }),
  'tick:forever': async function* (_i, ctx) {
    for (let i = 0; i < 100_000 && !ctx.signal.aborted; i++) {
      yield i;
      await new Promise((r) => setTimeout(r, 5));
    }
  },
});

let dir: string;
let server: BrowserServer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'megaraptor-serve-'));
  mkdirSync(join(dir, 'renderer', 'assets'), { recursive: true });
  writeFileSync(
    join(dir, 'renderer', 'index.html'),
    '<html><script nonce="__CSP_NONCE__" src="./assets/a.js"></script></html>',
  );
  writeFileSync(join(dir, 'renderer', 'assets', 'a.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'outside');
  symlinkSync(join(dir, 'secret.txt'), join(dir, 'renderer', 'link.txt'));
  server = await startBrowserServer({ dispatcher, rendererDir: join(dir, 'renderer') });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(
  path: string,
  host = `127.0.0.1:${server.port}`,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function open(opts: { token?: string | null; origin?: string; path?: string } = {}): Promise<WebSocket> {
  const token = opts.token === undefined ? server.token : opts.token;
  const q = token === null ? '' : `?token=${encodeURIComponent(token)}`;
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}${opts.path ?? '/rpc'}${q}`, {
    origin: opts.origin ?? server.origin,
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function next(ws: WebSocket, pred: (m: ServerMessage) => boolean = () => true): Promise<ServerMessage> {
  return new Promise((resolve) => {
    const on = (raw: Buffer) => {
      const m = JSON.parse(raw.toString()) as ServerMessage;
      if (pred(m)) {
        ws.off('message', on);
        resolve(m);
      }
    };
    ws.on('message', on);
  });
}

describe('browser-mode HTTP', () => {
  it('serves index.html with a fresh nonce in the page and a strict CSP header', async () => {
    const a = await get('/');
    const b = await get('/');
    expect(a.status).toBe(200);
    const nonce = /nonce="([^"]+)"/.exec(a.body)?.[1];
    expect(nonce).toBeTruthy();
    expect(nonce).not.toBe('__CSP_NONCE__');
    expect(/nonce="([^"]+)"/.exec(b.body)?.[1]).not.toBe(nonce);
    const csp = String(a.headers['content-security-policy']);
    expect(csp).toContain(`script-src 'nonce-${nonce}' 'strict-dynamic'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`ws://127.0.0.1:${server.port}`);
    expect(a.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves assets with their type and falls back to the app for routes', async () => {
    const js = await get('/assets/a.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect((await get('/settings')).body).toContain('<html>');
    expect((await get('/assets/missing.js')).status).toBe(404);
  });

  it('serves the app with its nonce CSP for deep routes whose segments contain dots', async () => {
    for (const path of [
      '/clients/C.4f2a',
      '/clients/C.4f2a/flows/F.CQ1A2B3C',
      '/hunts/H.1234/results',
      '/notebooks/N.abc.def',
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type'], path).toMatch(/text\/html/);
      expect(r.body, path).toContain('<html>');
      const nonce = /nonce="([^"]+)"/.exec(r.body)?.[1];
      expect(nonce, path).toBeTruthy();
      expect(nonce, path).not.toBe('__CSP_NONCE__');
      expect(String(r.headers['content-security-policy']), path).toContain(
        `script-src 'nonce-${nonce}' 'strict-dynamic'`,
      );
    }
  });

  it('still answers 404 for missing built assets', async () => {
    for (const path of [
      '/assets/missing.js',
      '/assets/missing.css',
      '/assets/x/C.4f2a',
      '/assets',
      '/favicon.ico',
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).not.toContain('<html>');
    }
  });

  it('refuses traversal, symlinks out of the folder and foreign Host headers', async () => {
    // The URL parser folds literal dot segments; encoded slashes reach our own check.
    const folded = await get('/../secret.txt');
    expect(folded.status).toBe(404);
    expect(folded.body).not.toContain('outside');
    expect((await get('/..%2fsecret.txt')).status).toBe(400);
    expect((await get('/assets%2f..%2f..%2fsecret.txt')).status).toBe(400);
    expect((await get('/link.txt')).status).toBe(403);
    // The route fallback does not weaken traversal checks for route-like paths.
    expect((await get('/clients%2f..%2f..%2fsecret.txt')).status).toBe(400);
    expect((await get('/clients/C.4f2a/..%2f..%2f..%2fsecret.txt')).status).toBe(400);
    expect((await get('/', 'evil.example:80')).status).toBe(421);
    expect((await get('/', `localhost:${server.port}`)).status).toBe(200);
  });
});

describe('browser-mode WebSocket', () => {
  it('puts the token only in the URL fragment', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=${server.token}`);
  });

  it.each([
    ['no token', { token: null }, 'HTTP 401'],
    ['a wrong token', { token: 'x'.repeat(43) }, 'HTTP 401'],
    ['a foreign Origin', { origin: 'http://evil.example' }, 'HTTP 403'],
    ['a localhost Origin on another port', { origin: 'http://127.0.0.1:1' }, 'HTTP 403'],
    ['another path', { path: '/other' }, 'HTTP 400'],
  ])('refuses a socket with %s', async (_n, opts, error) => {
    await expect(open(opts)).rejects.toThrow(error);
  });

  it('answers calls with envelopes, including typed errors', async () => {
    const ws = await open();
    ws.send(JSON.stringify({ type: 'call', id: '1', channel: 'echo:say', input: { text: 'hi' } }));
    expect(await next(ws)).toEqual({
      type: 'result',
      id: '1',
      envelope: { ok: true, value: { text: 'hi' } },
    });
    ws.send(JSON.stringify({ type: 'call', id: '2', channel: 'nope:x', input: {} }));
    expect(await next(ws)).toMatchObject({
      id: '2',
      envelope: { ok: false, error: { code: 'CONTRACT_UNKNOWN_CHANNEL' } },
    });
    ws.send(JSON.stringify({ type: 'call', id: '3', channel: 'echo:say', input: { text: 5 } }));
    expect(await next(ws)).toMatchObject({
      id: '3',
      envelope: { ok: false, error: { code: 'CONTRACT_INVALID_INPUT' } },
    });
    ws.close();
  });

  it('answers malformed messages with a protocol error and keeps the socket', async () => {
    const ws = await open();
    ws.send('{not json');
    expect(await next(ws)).toMatchObject({
      type: 'protocol-error',
      envelope: { error: { code: 'CONTRACT_INVALID_INPUT' } },
    });
    ws.send(JSON.stringify({ type: 'launch', id: 'x' }));
    expect(await next(ws)).toMatchObject({
      type: 'protocol-error',
      envelope: { error: { code: 'CONTRACT_INVALID_INPUT' } },
    });
    ws.send(JSON.stringify({ type: 'call', id: '4', channel: 'echo:say', input: { text: 'still here' } }));
    expect(await next(ws)).toMatchObject({ id: '4', envelope: { ok: true } });
    ws.close();
  });

  it('streams with the client id, cancels, and releases streams when the socket closes', async () => {
    const ws = await open();
    ws.send(JSON.stringify({ type: 'stream', id: 's1', channel: 'tick:forever', input: {} }));
    expect(await next(ws)).toEqual({ type: 'event', event: { id: 's1', type: 'data', data: 0 } });
    ws.send(JSON.stringify({ type: 'cancel', id: 's1' }));
    expect(await next(ws, (m) => m.type === 'event' && m.event.type !== 'data')).toMatchObject({
      event: { id: 's1', type: 'error', error: { code: 'CANCELLED' } },
    });

    ws.send(JSON.stringify({ type: 'stream', id: 's2', channel: 'tick:forever', input: {} }));
    await next(ws);
    expect(dispatcher.activeStreams()).toBe(1);
    ws.close();
    for (let i = 0; i < 100 && dispatcher.activeStreams() > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(dispatcher.activeStreams()).toBe(0);
  });
});

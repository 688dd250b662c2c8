/**
 * A Node WebSocket client for specs that must send what no browser would (a foreign Origin, a
 * wrong Host, no token) or read the core's answers directly.
 */
import { WebSocket } from 'ws';
import type { Envelope } from '../shared/contract';
import type { ServerMessage } from '../shared/wire';
import type { ServeInfo } from './serve';

export function openSocket(
  server: ServeInfo,
  opts: { token?: string | null; origin?: string; host?: string } = {},
): Promise<WebSocket> {
  const token = opts.token === undefined ? server.token : opts.token;
  const query = token === null ? '' : `?token=${encodeURIComponent(token)}`;
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rpc${query}`, {
    origin: opts.origin ?? server.origin,
    ...(opts.host ? { headers: { host: opts.host } } : {}),
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      reject(new Error(`refused with HTTP ${res.statusCode}`));
    });
    ws.once('error', reject);
  });
}

let n = 0;
export async function callOver(ws: WebSocket, channel: string, input: unknown): Promise<Envelope<unknown>> {
  const id = `spec-${++n}`;
  const answer = new Promise<Envelope<unknown>>((resolve) => {
    const on = (raw: Buffer) => {
      const m = JSON.parse(raw.toString()) as ServerMessage;
      if (m.type === 'result' && m.id === id) {
        ws.off('message', on);
        resolve(m.envelope);
      }
    };
    ws.on('message', on);
  });
  ws.send(JSON.stringify({ type: 'call', id, channel, input }));
  return answer;
}

/** Removes every deployment the server still lists (a failed test must not leave anything behind). */
export async function removeAllDeployments(server: ServeInfo): Promise<void> {
  const ws = await openSocket(server);
  try {
    const list = await callOver(ws, 'deploy:list', {});
    if (!list.ok) return;
    for (const d of (
      list.value as { deployments: Array<{ id: string; state: string; interrupted: boolean }> }
    ).deployments) {
      if (d.state === 'deployed' && !d.interrupted)
        await callOver(ws, 'deploy:destroy', { id: d.id, evidence: 'skip' });
      else if (d.state !== 'destroyed') await callOver(ws, 'deploy:cleanup', { id: d.id });
    }
  } finally {
    ws.close();
  }
}

/**
 * Browser mode: serves the built renderer over HTTP on loopback and carries the contract over one
 * WebSocket per page, into the same Dispatcher the Electron IPC adapter uses. Each socket is an
 * owner: its streams are cancelled when it closes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClientMessage, WS_PATH, WS_TOKEN_PARAM, type ServerMessage } from '../../../shared/wire';
import type { ContractShape } from '../../../shared/contract';
import { AppError, messageOf } from '../../../shared/errors';
import { toErrorPayload, type Dispatcher } from '../rpc/index';
import { checkHost, checkUpgrade, policyFor, type AccessPolicy } from './access';
import { RendererAssets } from './renderer-assets';

export interface BrowserServerOptions<C extends ContractShape> {
  dispatcher: Dispatcher<C>;
  rendererDir: string;
  host?: string;
  port?: number;
  /** Fixed token for tests; a random one per run otherwise. */
  token?: string;
  /** Largest accepted WebSocket message. */
  maxPayload?: number;
}

export interface BrowserServer {
  /** The page URL, token in the fragment (never sent to the server, so never in any log). */
  url: string;
  origin: string;
  host: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const text =
    { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 421: 'Misdirected Request' }[status] ??
    'Error';
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`,
  );
}

export async function startBrowserServer<C extends ContractShape>(
  options: BrowserServerOptions<C>,
): Promise<BrowserServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(32).toString('base64url');
  const http: Server = createServer();
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? 8 * 1024 * 1024 });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const policy: AccessPolicy = policyFor(host, port, token);
  const origin = policy.origins[0]!;
  const wsOrigin = origin.replace(/^http:/, 'ws:');
  const assets = new RendererAssets(options.rendererDir, [wsOrigin]);

  http.on('request', (req, res) => {
    const refused = checkHost(req.headers.host, policy);
    if (refused) {
      res.writeHead(refused.status, { 'Content-Type': 'text/plain' }).end(refused.reason);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const pathname = new URL(req.url ?? '/', origin).pathname;
    assets.get(pathname).then(
      (r) => {
        res.writeHead(r.status, { ...r.headers, 'Content-Length': String(r.body.length) });
        res.end(req.method === 'HEAD' ? undefined : r.body);
      },
      (e: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(messageOf(e));
      },
    );
  });

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname !== WS_PATH) {
      refuseUpgrade(socket, 400, 'Unknown endpoint');
      return;
    }
    const refused = checkUpgrade(
      { host: req.headers.host, origin: req.headers.origin },
      url.searchParams.get(WS_TOKEN_PARAM),
      policy,
    );
    if (refused) {
      refuseUpgrade(socket, refused.status, refused.reason);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, options.dispatcher));
  });

  return {
    url: `${origin}/#${WS_TOKEN_PARAM}=${token}`,
    origin,
    host,
    port,
    token,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function serveSocket<C extends ContractShape>(ws: WebSocket, dispatcher: Dispatcher<C>): void {
  const owner = `ws:${randomUUID()}`;
  const send = (m: ServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  };
  ws.on('message', (raw, isBinary) => {
    let message: ClientMessage;
    try {
      if (isBinary)
        throw new AppError('CONTRACT_INVALID_INPUT', 'Binary messages are not part of the protocol.');
      const bytes = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
      const parsed = ClientMessage.safeParse(JSON.parse(bytes.toString('utf8')));
      if (!parsed.success) throw parsed.error;
      message = parsed.data;
    } catch (e) {
      const error =
        e instanceof SyntaxError
          ? { code: 'CONTRACT_INVALID_INPUT' as const, message: 'The message is not JSON.' }
          : toErrorPayload(e);
      send({ type: 'protocol-error', envelope: { ok: false, error } });
      return;
    }
    if (message.type === 'call') {
      const { id } = message;
      void dispatcher
        .call(message.channel, message.input, owner)
        .then((envelope) => send({ type: 'result', id, envelope }));
    } else if (message.type === 'stream') {
      // Stream ids are global in the Dispatcher: scope the client's id to this socket and map back.
      const clientId = message.id;
      dispatcher.startStream(
        message.channel,
        message.input,
        owner,
        (event) => send({ type: 'event', event: { ...event, id: clientId } }),
        `${owner}/${clientId}`,
      );
    } else {
      dispatcher.cancel(`${owner}/${message.id}`, owner);
    }
  });
  ws.on('close', () => dispatcher.releaseOwner(owner));
  ws.on('error', () => dispatcher.releaseOwner(owner));
}

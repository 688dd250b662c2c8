/**
 * Streamable HTTP transport on 127.0.0.1 only. Every request is checked in this order: path (/mcp),
 * Host (must name this loopback port: defeats DNS rebinding), Origin (absent, or this same loopback
 * origin: a web page cannot call it), then the bearer token (timing-safe). Sessions are real: an
 * initialize request creates a server + transport pair kept under its Mcp-Session-Id until the
 * client deletes it, it idles out, or the server stops.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { asError, messageOf } from '../../../shared/errors';

export const MCP_PATH = '/mcp';
const MAX_BODY = 4 * 1024 * 1024;

export interface HttpOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Returns the current bearer token (it can be rotated while running). */
  token: () => string;
  /** A new MCP server for a new session. */
  makeServer: () => McpServer;
  maxSessions?: number;
  idleMs?: number;
  /**
   * Answer a POST with one JSON body instead of an SSE stream (the SDK's enableJsonResponse). Off by
   * default: an SSE answer sends its headers at once and keep-alive comments while a tool waits
   * (collect_and_wait may wait 30 min; fetch-based clients give up on a response whose headers take
   * over 5 min), and it can carry progress notifications. Measured in bench/mcp (bench/README.md).
   */
  jsonResponse?: boolean;
}

export interface RunningHttp {
  url: string;
  port: number;
  sessions(): number;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
}

function send(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(
    JSON.stringify({ jsonrpc: '2.0', error: { code: status === 401 ? -32001 : -32000, message }, id: null }),
  );
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        reject(asError(e));
      }
    });
    req.on('error', reject);
  });
}

function tokenMatches(header: string | undefined, token: string): boolean {
  if (!header || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7).trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

export async function startHttpTransport(opts: HttpOptions): Promise<RunningHttp> {
  const sessions = new Map<string, Session>();
  const maxSessions = opts.maxSessions ?? 64;
  const idleMs = opts.idleMs ?? 30 * 60 * 1000;
  let port = 0;

  const closeSession = async (id: string) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    await s.transport.close().catch(() => undefined);
    await s.server.close().catch(() => undefined);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== MCP_PATH) return send(res, 404, 'Not found: the MCP endpoint is /mcp.');
    const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
    if (!allowedHosts.includes(req.headers.host ?? ''))
      return send(res, 403, 'Forbidden: Host header does not name this loopback endpoint.');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHosts.some((h) => origin === `http://${h}`))
      return send(res, 403, 'Forbidden: Origin not allowed.');
    if (!tokenMatches(req.headers.authorization, opts.token())) {
      return send(res, 401, 'Unauthorized: send Authorization: Bearer <token> (see the Assistants page).', {
        'www-authenticate': 'Bearer realm="megaraptor-mcp"',
      });
    }

    const sid = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(sid) ? sid[0] : sid;
    if (sessionId !== undefined) {
      const s = sessions.get(sessionId);
      if (!s) return send(res, 404, 'Unknown or expired session: initialize again.');
      s.lastSeen = Date.now();
      if (req.method === 'POST') {
        let body: unknown;
        try {
          body = await readBody(req);
        } catch {
          return send(res, 400, 'Bad request: the body is not JSON.');
        }
        return s.transport.handleRequest(req, res, body);
      }
      return s.transport.handleRequest(req, res);
    }

    if (req.method !== 'POST') return send(res, 400, 'Bad request: no Mcp-Session-Id.');
    let body: unknown;
    try {
      body = await readBody(req);
    } catch {
      return send(res, 400, 'Bad request: the body is not JSON.');
    }
    if (!isInitializeRequest(body))
      return send(res, 400, 'Bad request: the first request of a session must be initialize.');
    if (sessions.size >= maxSessions)
      return send(res, 503, `Too many MCP sessions (${maxSessions}); close one.`);
    const server = opts.makeServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: opts.jsonResponse === true,
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server, lastSeen: Date.now() });
      },
      onsessionclosed: (id) => {
        void closeSession(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 500, `Internal error: ${messageOf(e)}`));
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (http.address() as AddressInfo).port;

  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [id, s] of sessions) if (now - s.lastSeen > idleMs) void closeSession(id);
    },
    Math.min(60_000, idleMs),
  );
  sweep.unref();

  return {
    url: `http://127.0.0.1:${port}${MCP_PATH}`,
    port,
    sessions: () => sessions.size,
    async close() {
      clearInterval(sweep);
      await Promise.all([...sessions.keys()].map(closeSession));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/**
 * `http_client()` for the simulator's local `query` command (Velociraptor's client-side plugin of the
 * same name and arguments): one request per URL, a row {Url, Content, Response, Headers}; a failed
 * request is a row with Response 500 and the error as Content, as Velociraptor answers. Deployments
 * use it in their container health check (`velociraptor query "… http_client(url=…/healthz) …"`) and
 * the Docker target's self-destruction timer, which speaks to the engine over its unix socket in
 * Velociraptor's URL form `/var/run/docker.sock:unix/containers/NAME` (VR vql/networking/http_client.go
 * parseURL).
 * Only the local query command registers it: the simulated API does not offer network access.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PluginDef, PluginItem } from './scope';
import { isRow, type Row } from './values';

/** `/path/to.sock:unix/url/path` — HTTP over a unix domain socket, as Velociraptor spells it. */
const UNIX_URL = /^(\/.+):unix(\/.+)$/;

function fetchOnce(
  url: string,
  method: string,
  headers: Record<string, string>,
  insecure: boolean,
  signal: AbortSignal,
): Promise<Row> {
  return new Promise((resolve) => {
    const unix = UNIX_URL.exec(url);
    let target: URL;
    try {
      target = new URL(unix ? `http://unix${unix[2]}` : url);
    } catch {
      resolve({ Url: url, Content: `Invalid URL ${url}`, Response: 500, Headers: {} });
      return;
    }
    const make = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = make(
      target,
      {
        method,
        headers,
        signal,
        timeout: 30_000,
        ...(unix ? { socketPath: unix[1] } : {}),
        ...(target.protocol === 'https:' ? { rejectUnauthorized: !insecure } : {}),
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 4 * 1024 * 1024) chunks.push(c);
        });
        res.on('end', () =>
          resolve({
            Url: url,
            Content: Buffer.concat(chunks).toString('utf8'),
            Response: res.statusCode ?? 0,
            Headers: res.headers,
          }),
        );
        res.on('error', (e) => resolve({ Url: url, Content: e.message, Response: 500, Headers: {} }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('Client.Timeout exceeded while awaiting headers')));
    req.on('error', (e) => resolve({ Url: url, Content: e.message, Response: 500, Headers: {} }));
    req.end();
  });
}

export const httpClientPlugin: PluginDef = {
  name: 'http_client',
  doc: 'Make a http request.',
  args: {
    url: { type: 'strings', required: true },
    method: { type: 'string' },
    headers: { type: 'dict' },
    disable_ssl_security: { type: 'bool' },
  },
  async *run(args, scope): AsyncGenerator<PluginItem> {
    const urls = Array.isArray(args.url) ? args.url.map(String) : [String(args.url)];
    const headers: Record<string, string> = {};
    if (isRow(args.headers)) for (const [k, v] of Object.entries(args.headers)) headers[k] = String(v);
    for (const url of urls)
      yield await fetchOnce(
        url,
        typeof args.method === 'string' ? args.method : 'GET',
        headers,
        args.disable_ssl_security === true,
        scope.ctx.signal,
      );
  },
};

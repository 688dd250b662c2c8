/**
 * HTTPS GET for release listings and downloads: follows redirects (GitHub sends asset downloads to
 * its object store), HTTPS only, an optional extra CA (a mirror with an internal CA), an optional
 * proxy reached with HTTP CONNECT (isolated networks; `http://` or `https://` proxy URL, optional
 * user:password), a connect/idle timeout and cancellation.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, rootCertificates, type TLSSocket } from 'node:tls';
import { AppError } from '../../../../shared/errors';

export interface HttpSettings {
  /** Extra trusted CA certificates (PEM), added to the system's roots. */
  caCertificates?: string;
  /** `http://[user:pass@]host:port` or `https://…`: every request tunnels through it with CONNECT. */
  proxy?: string;
  /** Socket idle timeout; default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
}

export interface GetOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  maxRedirects?: number;
}

function unavailable(message: string, details: Record<string, unknown>, cause?: unknown): AppError {
  return new AppError('RELEASE_UNAVAILABLE', message, { details, ...(cause ? { cause } : {}) });
}

/** What the responder sees: the URL without credentials or query (signed download URLs carry tokens). */
export function safeUrl(url: URL | string): string {
  const u = new URL(String(url));
  return `${u.protocol}//${u.host}${u.pathname}`;
}

function trustedCas(settings: HttpSettings): string[] | undefined {
  return settings.caCertificates ? [...rootCertificates, settings.caCertificates] : undefined;
}

/** Opens a tunnel to host:port through the proxy and returns the TLS socket to the target. */
function tunnel(target: URL, settings: HttpSettings, signal?: AbortSignal): Promise<TLSSocket> {
  const proxy = new URL(settings.proxy!);
  const port = Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80));
  const targetPort = Number(target.port || 443);
  return new Promise((resolve, reject) => {
    const onProxySocket = (socket: Socket): void => {
      const headers: Record<string, string> = { Host: `${target.hostname}:${targetPort}` };
      if (proxy.username)
        headers['Proxy-Authorization'] =
          `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
      const req = httpRequest({
        method: 'CONNECT',
        path: `${target.hostname}:${targetPort}`,
        headers,
        createConnection: () => socket,
        signal,
      });
      req.once('connect', (res: IncomingMessage, raw: Socket) => {
        if (res.statusCode !== 200) {
          raw.destroy();
          reject(
            unavailable(
              `The proxy ${proxy.host} refused the tunnel to ${target.host} (HTTP ${res.statusCode}).`,
              {
                proxy: proxy.host,
                status: res.statusCode,
              },
            ),
          );
          return;
        }
        const cas = trustedCas(settings);
        const tls = tlsConnect({ socket: raw, servername: target.hostname, ...(cas ? { ca: cas } : {}) });
        tls.once('secureConnect', () => resolve(tls));
        tls.once('error', reject);
      });
      req.once('error', (e) =>
        reject(
          unavailable(`The proxy ${proxy.host} cannot be reached: ${e.message}`, { proxy: proxy.host }, e),
        ),
      );
      req.end();
    };
    const cas = trustedCas(settings);
    const socket =
      proxy.protocol === 'https:'
        ? tlsConnect({ host: proxy.hostname, port, servername: proxy.hostname, ...(cas ? { ca: cas } : {}) })
        : netConnect({ host: proxy.hostname, port });
    socket.once('error', (e: Error) =>
      reject(
        unavailable(`The proxy ${proxy.host} cannot be reached: ${e.message}`, { proxy: proxy.host }, e),
      ),
    );
    socket.once(proxy.protocol === 'https:' ? 'secureConnect' : 'connect', () => onProxySocket(socket));
  });
}

/** GET that follows redirects; resolves with the final response (any status) for the caller to judge. */
export async function httpsGet(
  url: string,
  settings: HttpSettings,
  options: GetOptions = {},
): Promise<IncomingMessage> {
  let current = new URL(url);
  for (let hop = 0; hop <= (options.maxRedirects ?? 5); hop++) {
    if (current.protocol !== 'https:')
      throw unavailable(`Refusing to fetch ${safeUrl(current)}: only HTTPS is used for releases.`, {
        url: safeUrl(current),
      });
    const socket = settings.proxy ? await tunnel(current, settings, options.signal) : undefined;
    const cas = trustedCas(settings);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpsRequest(
        current,
        {
          method: 'GET',
          headers: { 'User-Agent': settings.userAgent ?? 'megaraptor-desktop', ...options.headers },
          ...(cas ? { ca: cas } : {}),
          ...(socket ? { createConnection: () => socket } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          timeout: settings.timeoutMs ?? 30_000,
        },
        resolve,
      );
      req.once('timeout', () =>
        req.destroy(unavailable(`${safeUrl(current)} did not answer in time.`, { url: safeUrl(current) })),
      );
      req.once('error', (e) =>
        reject(
          options.signal?.aborted
            ? new AppError('CANCELLED', 'The download was cancelled.')
            : e instanceof AppError
              ? e
              : unavailable(
                  `${safeUrl(current)} cannot be reached: ${e.message}`,
                  { url: safeUrl(current) },
                  e,
                ),
        ),
      );
      req.end();
    });
    const location = res.headers.location;
    if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
      res.resume();
      current = new URL(location, current);
      continue;
    }
    return res;
  }
  throw unavailable(`Too many redirects fetching ${safeUrl(url)}.`, { url: safeUrl(url) });
}

/** Reads a small body (a release list) with a size cap. */
export async function readBody(res: IncomingMessage, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.destroy();
      throw unavailable('The answer is larger than expected.', { limit });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Who may talk to the browser-mode server. Loopback alone is not enough: any web page the responder
 * opens can reach 127.0.0.1 (and DNS rebinding can make it look same-origin), so every HTTP request
 * must name our host in `Host`, and every WebSocket must also come from our origin and carry the
 * per-run token, compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';

export interface AccessPolicy {
  /** Accepted `Host` header values, e.g. 127.0.0.1:4123 and localhost:4123. */
  hosts: string[];
  /** Accepted `Origin` values, e.g. http://127.0.0.1:4123. */
  origins: string[];
  token: string;
}

export function policyFor(host: string, port: number, token: string): AccessPolicy {
  const names = new Set([host, host === '127.0.0.1' || host === '::1' ? 'localhost' : host]);
  const hosts: string[] = [];
  const origins: string[] = [];
  for (const name of names) {
    const h = name.includes(':') ? `[${name}]:${port}` : `${name}:${port}`;
    hosts.push(h);
    origins.push(`http://${h}`);
  }
  return { hosts, origins, token };
}

export type Refusal = { status: 400 | 401 | 403 | 421; reason: string };

export function checkHost(hostHeader: string | undefined, policy: AccessPolicy): Refusal | undefined {
  if (hostHeader === undefined || !policy.hosts.includes(hostHeader.toLowerCase())) {
    return { status: 421, reason: 'Host header is not this server' };
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Checks a WebSocket upgrade: Host, Origin, then the token from the URL's query. */
export function checkUpgrade(
  headers: { host?: string | undefined; origin?: string | undefined },
  token: string | null,
  policy: AccessPolicy,
): Refusal | undefined {
  const host = checkHost(headers.host, policy);
  if (host) return host;
  if (headers.origin === undefined || !policy.origins.includes(headers.origin.toLowerCase())) {
    return { status: 403, reason: 'Origin is not this app' };
  }
  if (token === null || !sameSecret(token, policy.token)) {
    return { status: 401, reason: 'Missing or wrong token' };
  }
  return undefined;
}

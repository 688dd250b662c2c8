import { AppError } from '../../../../shared/errors';

/** Where the API listens: `host:port` (Velociraptor writes no scheme) or `unix:///path`. */
export type Endpoint = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?$/;

function bad(value: string, why: string): AppError {
  return new AppError(
    'CONFIG_BAD_CONNECTION_STRING',
    `api_connection_string "${value}" ${why}. Expected host:port (e.g. 127.0.0.1:8001) or unix:///path/to/socket.`,
    { details: { value } },
  );
}

export function parseConnectionString(raw: string): Endpoint {
  const value = raw.trim();
  if (value.startsWith('unix://')) {
    const path = value.slice('unix://'.length);
    if (!path.startsWith('/') || path.length < 2 || /[\0\n]/.test(path))
      throw bad(value, 'needs an absolute socket path');
    return { kind: 'unix', path };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw bad(value, 'has a URL scheme; Velociraptor writes none');
  let host: string;
  let portText: string;
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(value);
  if (bracket) {
    host = bracket[1] ?? '';
    portText = bracket[2] ?? '';
    if (!IPV6.test(host)) throw bad(value, 'has an invalid IPv6 address');
  } else {
    const idx = value.lastIndexOf(':');
    if (idx <= 0) throw bad(value, 'has no port');
    host = value.slice(0, idx);
    portText = value.slice(idx + 1);
    if (!(IPV4.test(host) || HOSTNAME.test(host))) throw bad(value, 'has an invalid host name');
  }
  if (!/^\d{1,5}$/.test(portText)) throw bad(value, 'has an invalid port');
  const port = Number(portText);
  if (port < 1 || port > 65535) throw bad(value, 'has a port outside 1–65535');
  return { kind: 'tcp', host, port };
}

/** The grpc-js target for an endpoint. */
export function grpcTarget(e: Endpoint): string {
  if (e.kind === 'unix') return `unix://${e.path}`;
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

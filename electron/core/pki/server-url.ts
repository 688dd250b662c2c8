/**
 * The one way a URL an agent dials (Client.server_urls) or a responder opens is written: scheme, host
 * (an IPv6 literal in brackets, a name checked as a DNS name, an IPv4 address as is), port, and the
 * trailing slash Velociraptor's client appends paths to (`https://HOST:8000/`, `wss://HOST:8000/`).
 * The old tool wrote `https://HOST:8000` and `HOST:8000/` variants on different paths; every path here
 * goes through `serverUrl`, and `checkServerUrl` refuses a URL an agent could not use.
 */
import { isIP } from 'node:net';
import { AppError } from '../../../shared/errors';

export type ServerUrlScheme = 'https' | 'wss';

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** A DNS name (labels of letters, digits and hyphens), an IPv4 or an IPv6 literal (brackets optional). */
export function checkHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare)) return bare;
  const name = (bare.endsWith('.') ? bare.slice(0, -1) : bare).toLowerCase();
  if (name.length > 0 && name.length <= 253 && name.split('.').every((l) => LABEL.test(l))) return name;
  throw new AppError(
    'INVALID_ARGUMENT',
    `"${host}" is not a host name or IP address an agent can dial (letters, digits, hyphens and dots, or an IP literal).`,
    { details: { host } },
  );
}

/** `host` as it goes in a URL: IPv6 literals in brackets. */
export function urlHost(host: string): string {
  const h = checkHost(host);
  return isIP(h) === 6 ? `[${h}]` : h;
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new AppError('INVALID_ARGUMENT', `${port} is not a TCP port (1–65535).`, { details: { port } });
  return port;
}

/** `https://HOST:PORT/` (or `wss://…/`): what Client.server_urls lists. */
export function serverUrl(host: string, port: number, scheme: ServerUrlScheme = 'https'): string {
  return `${scheme}://${urlHost(host)}:${checkPort(port)}/`;
}

/** `https://HOST:PORT/` for a page a person opens (the GUI); same rules. */
export function webUrl(host: string, port: number, path = '/'): string {
  if (!path.startsWith('/')) throw new AppError('INTERNAL', `A URL path must start with "/": ${path}`);
  return `https://${urlHost(host)}:${checkPort(port)}${path}`;
}

/**
 * Checks a server URL taken from elsewhere (a server's own config, the responder's input): https or
 * wss, a host an agent can dial, a path ending in "/", no credentials, query or fragment. Returns it
 * in the form `serverUrl` writes (lower-case host, explicit port).
 */
export function checkServerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AppError(
      'INVALID_ARGUMENT',
      `"${text}" is not a URL an agent can dial (expected https://HOST:PORT/).`,
      {
        details: { url: text },
      },
    );
  }
  const problems: string[] = [];
  if (url.protocol !== 'https:' && url.protocol !== 'wss:') problems.push('the scheme must be https or wss');
  if (!url.hostname) problems.push('it names no host');
  if (url.username || url.password) problems.push('it must not carry a user name or password');
  if (url.search || url.hash || /[?#]/.test(text)) problems.push('it must not have a query or fragment');
  if (!text.endsWith('/')) problems.push('it must end with "/" (Velociraptor appends its paths to it)');
  if (/\s/.test(text)) problems.push('it must not contain spaces');
  if (problems.length)
    throw new AppError(
      'INVALID_ARGUMENT',
      `The server URL "${text}" cannot be used: ${problems.join('; ')}.`,
      {
        details: { url: text, problems },
      },
    );
  const port = url.port ? Number(url.port) : 443;
  return `${url.protocol}//${urlHost(url.hostname)}:${checkPort(port)}${url.pathname}`;
}

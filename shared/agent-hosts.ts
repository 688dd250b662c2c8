/**
 * The hosts of an agent push, from what a responder has at hand: a pasted list (`host`, `host:port`,
 * `[v6]:port`, one per line or separated by commas/spaces, `#` comments), a CSV export (a header with
 * `host` and optionally `port` and `os`), or ranges (`10.0.0.1-10.0.0.40`, `10.0.0.1-40`, `10.0.0.0/28`,
 * `web[01-20].lab`). Pure (no Node, no DOM) so the wizard previews the list as it is typed and the
 * core parses it the same way. Duplicates are dropped (first one kept); every problem names its line.
 */
import { AgentOsChoice, PushHost, type PushHostInput } from './agents';
import { messageOf } from './errors';

/** A push to more hosts than this is refused: split it (a typo like /8 must not queue 16 million hosts). */
export const MAX_HOSTS = 4096;

export interface HostListResult {
  hosts: PushHost[];
  problems: Array<{ line: number; text: string; message: string }>;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4ToInt(text: string): number | null {
  const m = IPV4.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

class TooMany extends Error {}

/** Expands one token into host names; throws Error with a message a responder can act on. */
export function expandRange(token: string, limit = MAX_HOSTS): string[] {
  const out: string[] = [];
  const push = (h: string): void => {
    if (out.length >= limit) throw new TooMany(`more hosts than one push takes (${MAX_HOSTS})`);
    out.push(h);
  };
  const cidr = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(token);
  if (cidr) {
    const base = ipv4ToInt(cidr[1]!);
    const bits = Number(cidr[2]);
    if (base === null || bits > 32) throw new Error(`"${token}" is not an IPv4 network`);
    const size = 2 ** (32 - bits);
    if (size > limit + 2)
      throw new TooMany(`${token} holds ${size} addresses, more than one push takes (${MAX_HOSTS})`);
    const start = (base & (bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0)) >>> 0;
    // Network and broadcast addresses are no hosts, except in /31 and /32.
    const [first, last] = bits >= 31 ? [start, start + size - 1] : [start + 1, start + size - 2];
    for (let n = first; n <= last; n++) push(intToIpv4(n));
    return out;
  }
  const dash = /^(\d{1,3}(?:\.\d{1,3}){3})-(\d{1,3}(?:\.\d{1,3}){3}|\d{1,3})$/.exec(token);
  if (dash) {
    const from = ipv4ToInt(dash[1]!);
    const toText = dash[2]!.includes('.')
      ? dash[2]!
      : `${dash[1]!.split('.').slice(0, 3).join('.')}.${dash[2]!}`;
    const to = ipv4ToInt(toText);
    if (from === null || to === null) throw new Error(`"${token}" is not a range of IPv4 addresses`);
    if (to < from) throw new Error(`the range "${token}" ends before it starts`);
    if (to - from + 1 > limit)
      throw new TooMany(`${token} holds ${to - from + 1} addresses, more than one push takes (${MAX_HOSTS})`);
    for (let n = from; n <= to; n++) push(intToIpv4(n));
    return out;
  }
  const bracket = /^([A-Za-z0-9.-]*)\[(\d+)-(\d+)\]([A-Za-z0-9.-]*)$/.exec(token);
  if (bracket) {
    const [, head = '', a = '', b = '', tail = ''] = bracket;
    const from = Number(a);
    const to = Number(b);
    if (to < from) throw new Error(`the range "${token}" ends before it starts`);
    if (to - from + 1 > limit)
      throw new TooMany(`${token} names ${to - from + 1} hosts, more than one push takes (${MAX_HOSTS})`);
    const width = a.length > 1 && a.startsWith('0') ? a.length : 0;
    for (let n = from; n <= to; n++) push(`${head}${String(n).padStart(width, '0')}${tail}`);
    return out;
  }
  return [token];
}

/** `host`, `host:port`, `[v6]` or `[v6]:port` → host and port. */
export function splitHostPort(token: string): { host: string; port?: number } {
  if (token.includes('@'))
    throw new Error(`"${token}" carries a user name: give the login once for the whole push, not per host`);
  if (token.includes('://')) throw new Error(`"${token}" is a URL: give the host name or address only`);
  const v6 = /^\[([0-9A-Fa-f:.%]+)\](?::(\d+))?$/.exec(token);
  if (v6) return { host: v6[1]!, ...(v6[2] ? { port: Number(v6[2]) } : {}) };
  const colons = (token.match(/:/g) ?? []).length;
  if (colons > 1) return { host: token }; // a bare IPv6 literal
  const [host = '', port] = token.split(':');
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)
      throw new Error(`"${token}" has no valid port after ":"`);
    return { host, port: Number(port) };
  }
  return { host };
}

function collect(
  entries: Array<{ line: number; text: string; token: string; port?: number; os?: string }>,
): HostListResult {
  const hosts: PushHost[] = [];
  const problems: HostListResult['problems'] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    try {
      // A range may carry a port (10.0.0.1-20:2222): expand the range, keep the port on each host.
      const ported = /^(?!\[)([^:]+)(:\d+)$/.exec(e.token);
      const range = ported ? ported[1]! : e.token;
      for (const name of expandRange(range, MAX_HOSTS - hosts.length)) {
        const expanded = ported ? `${name}${ported[2]!}` : name;
        const hp = splitHostPort(expanded);
        const input: PushHostInput = {
          host: hp.host,
          ...((e.port ?? hp.port) !== undefined ? { port: e.port ?? hp.port } : {}),
          ...(e.os ? { os: e.os as AgentOsChoice } : {}),
        };
        const parsed = PushHost.safeParse(input);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new Error(
            `"${expanded}": ${issue?.path.join('.') || 'host'} — ${issue?.message ?? 'invalid'}`,
          );
        }
        const key = `${parsed.data.host.toLowerCase()}:${parsed.data.port ?? ''}`;
        if (seen.has(key)) continue;
        seen.add(key);
        hosts.push(parsed.data);
      }
    } catch (err) {
      const message = messageOf(err);
      problems.push({ line: e.line, text: e.text, message });
      if (err instanceof TooMany) break;
    }
  }
  return { hosts, problems };
}

/** A pasted list: hosts, host:port, ranges; separated by newlines, commas, semicolons or spaces. */
export function parseHostList(text: string): HostListResult {
  const entries: Array<{ line: number; text: string; token: string }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    for (const token of line.split(/[\s,;]+/).filter(Boolean))
      entries.push({ line: i + 1, text: raw, token });
  });
  return collect(entries);
}

/** RFC 4180 rows (quoted fields, doubled quotes, CRLF or LF). */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

const HOST_COLUMNS = ['host', 'hostname', 'address', 'ip', 'fqdn', 'computer', 'name'];

/** A CSV with a header naming the host column (host, hostname, address, ip, fqdn…), and optionally port and os. */
export function parseHostCsv(text: string): HostListResult {
  const rows = parseCsvRows(text);
  const header = (rows[0] ?? []).map((h) => h.trim().toLowerCase());
  const hostCol = HOST_COLUMNS.map((c) => header.indexOf(c)).find((i) => i >= 0);
  if (hostCol === undefined)
    return {
      hosts: [],
      problems: [
        {
          line: 1,
          text: (rows[0] ?? []).join(','),
          message: `the header names no host column (one of: ${HOST_COLUMNS.join(', ')})`,
        },
      ],
    };
  const portCol = header.indexOf('port');
  const osCol = header.indexOf('os');
  const entries: Array<{ line: number; text: string; token: string; port?: number; os?: string }> = [];
  const problems: HostListResult['problems'] = [];
  rows.slice(1).forEach((r, i) => {
    const line = i + 2;
    const token = (r[hostCol] ?? '').trim();
    if (!token) return;
    const portText = portCol >= 0 ? (r[portCol] ?? '').trim() : '';
    const osText = osCol >= 0 ? (r[osCol] ?? '').trim().toLowerCase() : '';
    const os = osText === 'macos' || osText === 'osx' ? 'darwin' : osText;
    if (portText && !/^\d{1,5}$/.test(portText)) {
      problems.push({ line, text: r.join(','), message: `"${portText}" is not a port` });
      return;
    }
    if (os && !AgentOsChoice.safeParse(os).success) {
      problems.push({
        line,
        text: r.join(','),
        message: `"${osText}" is not an OS (linux, darwin/macos, windows)`,
      });
      return;
    }
    entries.push({
      line,
      text: r.join(','),
      token,
      ...(portText ? { port: Number(portText) } : {}),
      ...(os ? { os } : {}),
    });
  });
  const result = collect(entries);
  return { hosts: result.hosts, problems: [...problems, ...result.problems].sort((a, b) => a.line - b.line) };
}

/** A jump host (`ssh -J`): the login, host and port of one hop; it logs in the way the push does. */
export interface JumpHost {
  username: string;
  host: string;
  port: number;
}

const LOGIN = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;

/** `user@host`, `user@host:port` or `user@[v6]:port` → a jump host (port 22 when absent). */
export function parseJumpHost(text: string): JumpHost {
  const at = text.lastIndexOf('@');
  const username = at > 0 ? text.slice(0, at) : '';
  if (!LOGIN.test(username))
    throw new Error(`jump host "${text}" is USER@HOST[:PORT]: it needs the login for that host`);
  const hp = splitHostPort(text.slice(at + 1));
  const host = PushHost.shape.host.safeParse(hp.host);
  if (!host.success) throw new Error(`jump host "${text}": "${hp.host}" is not a host name or IP address`);
  return { username, host: host.data, port: hp.port ?? 22 };
}

/**
 * Jump hosts in the order the connection goes through them (outermost first, as `ssh -J a,b`), from
 * a list separated by commas or lines. At most four hops.
 */
export function parseJumpHosts(text: string): { jumps: JumpHost[]; problems: string[] } {
  const jumps: JumpHost[] = [];
  const problems: string[] = [];
  for (const token of text.split(/[\s,]+/).filter(Boolean)) {
    try {
      jumps.push(parseJumpHost(token));
    } catch (e) {
      problems.push(messageOf(e));
    }
  }
  if (jumps.length > 4) problems.push(`${jumps.length} jump hosts: at most 4 hops`);
  return { jumps, problems };
}

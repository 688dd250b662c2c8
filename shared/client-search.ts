/**
 * The client search a responder types, turned into what Velociraptor's `clients(search=)` takes plus
 * what it cannot do. Velociraptor knows the operators `host: label: mac: client: ip:` and the words
 * `recent` and `all` (a bare term is `host:`, a host-name prefix; `*` is a wildcard) and refuses any
 * other operator ("Invalid search operator os"): so `os:windows` is the app's, applied as a condition
 * on the clients' reported OS, and a bare client id is looked up as `client:`.
 */

import { AppError } from './errors';

export type SearchOs = 'windows' | 'linux' | 'darwin';

export interface ClientQuery {
  /** What goes to clients(search=): one Velociraptor search term (`all` when the rest was empty). */
  search: string;
  /** Only clients that reported this OS. */
  os?: SearchOs;
}

/** Every prefix the search takes, in the order the hint lists them. */
export const SEARCH_PREFIXES = ['host:', 'label:', 'os:', 'ip:', 'mac:', 'client:', 'recent', 'all'] as const;

const OS_NAMES: Record<string, SearchOs> = {
  windows: 'windows',
  win: 'windows',
  linux: 'linux',
  darwin: 'darwin',
  macos: 'darwin',
  mac: 'darwin',
  osx: 'darwin',
};

const CLIENT_ID = /^C\.[0-9a-f]{4,}$/i;

/** Splits a typed search; an unknown `os:` value is INVALID_ARGUMENT naming what `os:` takes. */
export function parseClientQuery(typed: string): ClientQuery {
  let os: SearchOs | undefined;
  const rest: string[] = [];
  for (const token of typed.trim().split(/\s+/).filter(Boolean)) {
    const m = /^os:(.*)$/i.exec(token);
    if (!m) {
      rest.push(token);
      continue;
    }
    const name = OS_NAMES[(m[1] ?? '').toLowerCase()];
    if (!name)
      throw new AppError(
        'INVALID_ARGUMENT',
        `os: takes windows, linux or darwin (macos), not "${m[1] ?? ''}". Fix the search and press Enter.`,
      );
    os = name;
  }
  let search = rest.join(' ');
  if (search === '') search = 'all';
  else if (CLIENT_ID.test(search)) search = `client:${search}`;
  return os ? { search, os } : { search };
}

/**
 * Every app instance shares one OS keychain, but each data folder has its own credential index. So
 * that repair in one data folder never adopts another folder's secrets (other MEGARAPTOR_DATA_DIR
 * folders, test runs), each data folder gets its own keychain service name, stored in the folder
 * (`keychain-namespace`) so the app, `megaraptor serve` and the CLI all derive the same one.
 *
 * A data folder an earlier version already used keeps the old shared service name, so its existing
 * keychain references stay readable: saved connections and credentials, and also the MCP HTTP token
 * an assistant was configured with (every earlier run stored it, so the files an earlier run leaves
 * behind - MCP policy or audit log, notebooks, window state - mark the folder too).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The service name used before data folders had their own namespace. */
export const LEGACY_KEYCHAIN_SERVICE = 'megaraptor-desktop';
export const NAMESPACE_FILE = 'keychain-namespace';
/** Files or folders that only a run of the app (any version) leaves in its data folder. */
export const LEGACY_MARKERS = [
  'credentials.json',
  'connections.json',
  'mcp-policy.json',
  'mcp-audit.jsonl',
  'notebooks',
  'window-state.json',
] as const;

const VALID = /^megaraptor-desktop(:[0-9a-f-]{36})?$/;

type Stored = { state: 'missing' } | { state: 'invalid' } | { state: 'ok'; service: string };

function readNamespace(path: string): Stored {
  try {
    const value = readFileSync(path, 'utf8').trim();
    return VALID.test(value) ? { state: 'ok', service: value } : { state: 'invalid' };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    throw e;
  }
}

/**
 * The keychain service name of `dataDir`, decided on first use and then read from the folder.
 * The file appears complete or not at all (written aside, then linked in), so the app and the CLI
 * starting together agree on one name. A damaged file is replaced once, so the name stays stable
 * from then on (secrets stored under the lost name were unreachable anyway).
 */
export function keychainServiceFor(dataDir: string): string {
  const path = join(dataDir, NAMESPACE_FILE);
  const stored = readNamespace(path);
  if (stored.state === 'ok') return stored.service;
  const legacy = LEGACY_MARKERS.some((name) => existsSync(join(dataDir, name)));
  const service = legacy ? LEGACY_KEYCHAIN_SERVICE : `${LEGACY_KEYCHAIN_SERVICE}:${randomUUID()}`;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(tmp, `${service}\n`, { flag: 'wx', mode: 0o600 });
  try {
    if (stored.state === 'invalid') {
      renameSync(tmp, path);
      return service;
    }
    linkSync(tmp, path);
    return service;
  } catch (e) {
    // Another process (app vs. CLI) created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const theirs = readNamespace(path);
    if (theirs.state !== 'ok') throw e;
    return theirs.service;
  } finally {
    rmSync(tmp, { force: true });
  }
}

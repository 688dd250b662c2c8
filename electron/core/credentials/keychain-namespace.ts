/**
 * Every app instance shares one OS keychain, but each data folder has its own credential index. So
 * that repair in one data folder never adopts another folder's secrets (other MEGARAPTOR_DATA_DIR
 * folders, test runs), each data folder gets its own keychain service name, stored in the folder
 * (`keychain-namespace`) so the app, `megaraptor serve` and the CLI all derive the same one.
 *
 * A data folder that already held credentials or saved connections before namespaces existed keeps
 * the old shared service name, so its existing keychain references stay readable.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The service name used before data folders had their own namespace. */
export const LEGACY_KEYCHAIN_SERVICE = 'megaraptor-desktop';
export const NAMESPACE_FILE = 'keychain-namespace';

const VALID = /^megaraptor-desktop(:[0-9a-f-]{36})?$/;

function readNamespace(path: string): string | undefined {
  try {
    const value = readFileSync(path, 'utf8').trim();
    return VALID.test(value) ? value : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The keychain service name of `dataDir`, created on first use. */
export function keychainServiceFor(dataDir: string): string {
  const path = join(dataDir, NAMESPACE_FILE);
  const found = readNamespace(path);
  if (found) return found;
  const legacy = existsSync(join(dataDir, 'credentials.json')) || existsSync(join(dataDir, 'connections.json'));
  const service = legacy ? LEGACY_KEYCHAIN_SERVICE : `${LEGACY_KEYCHAIN_SERVICE}:${randomUUID()}`;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, `${service}\n`, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    // Another process (app vs. CLI) created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readNamespace(path) ?? service;
    throw e;
  }
  return service;
}

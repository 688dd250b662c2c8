/**
 * The WinRM pin store: one pin per host:port, hashed names in OpenSSH's known_hosts style, a first pin
 * only (a different one is a change, never written over), forget, concurrent writers.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appWinRmCertsFile, WinRmCertStore } from './cert-store';

const A = 'AA:'.repeat(31) + 'AA';
const B = 'BB:'.repeat(31) + 'BB';
let dir: string;
let store: WinRmCertStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mr-winrm-store-'));
  store = new WinRmCertStore(appWinRmCertsFile(dir));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('WinRmCertStore', () => {
  it('lives beside the SSH known_hosts in the data folder', () => {
    expect(appWinRmCertsFile('/data')).toBe(join('/data', 'winrm', 'known_certificates'));
  });

  it('new, then pinned per host:port (any fingerprint spelling), in a private file with hashed names', async () => {
    expect(await store.status('win1.corp', 5986, A)).toEqual({ status: 'new' });
    expect(await store.remember('win1.corp', 5986, `sha256:${A.replace(/:/g, '').toLowerCase()}`)).toBe(true);
    expect(await store.pinned('win1.corp', 5986)).toBe(A);
    expect(await store.status('win1.corp', 5986, A)).toEqual({ status: 'known', pinned: A });
    expect(await store.status('win1.corp', 5985, A)).toEqual({ status: 'new' });
    expect(await store.status('WIN2.corp', 5986, A)).toEqual({ status: 'new' });
    const text = await readFile(store.file, 'utf8');
    expect(text).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ x509-sha256 [A-Za-z0-9+/=]{44}\n$/);
    expect(text).not.toContain('win1');
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
  });

  it('another fingerprint for a pinned host is a change and is never written over', async () => {
    await store.remember('10.0.0.5', 5986, A);
    expect(await store.status('10.0.0.5', 5986, B)).toEqual({ status: 'changed', pinned: A });
    expect(await store.remember('10.0.0.5', 5986, B)).toBe(false);
    expect(await store.pinned('10.0.0.5', 5986)).toBe(A);
    expect(await store.remember('10.0.0.5', 5986, A)).toBe(true);
    expect((await readFile(store.file, 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('forget removes only that host:port; then a new certificate can be pinned', async () => {
    await store.remember('::1', 5986, A);
    await store.remember('::1', 5987, B);
    await store.forget('::1', 5986);
    expect(await store.pinned('::1', 5986)).toBeUndefined();
    expect(await store.pinned('::1', 5987)).toBe(B);
    expect(await store.remember('::1', 5986, B)).toBe(true);
    expect(await store.pinned('::1', 5986)).toBe(B);
  });

  it('concurrent first pins of one host keep exactly one', async () => {
    const results = await Promise.all([store.remember('h', 5986, A), store.remember('h', 5986, B)]);
    expect(results).toEqual([true, false]);
    expect(await store.pinned('h', 5986)).toBe(A);
  });

  it('reads plain names and skips lines that are not WinRM pins', async () => {
    const fp = Buffer.from(B.replace(/:/g, ''), 'hex').toString('base64');
    const plain = new WinRmCertStore(join(dir, 'plain'));
    await writeFile(
      plain.file,
      `# comment\n[h2]:5986 ssh-ed25519 AAAA\n[h2]:5986 x509-sha256 ${fp}\n[h3]:5986 x509-sha256 c2hvcnQ=\n`,
    );
    expect(await plain.pinned('h2', 5986)).toBe(B);
    expect(await plain.pinned('h3', 5986)).toBeUndefined();
  });

  it('refuses a value that is not a SHA-256 fingerprint', async () => {
    await expect(store.remember('h', 5986, 'nope')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

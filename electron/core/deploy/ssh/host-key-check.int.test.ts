/**
 * The wizard's and the CLI's host-key step against a REAL OpenSSH sshd on a loopback port: a key never
 * seen is reported with its type and SHA256 fingerprint (as `ssh-keygen -l` prints it) and nothing is
 * remembered; trusting it needs that very fingerprint and then a real login passes the app's check
 * without a prompt; after the host's key changes, the check says `changed` with the old and the new
 * fingerprint, trusting is refused, and the file of confirmed keys is unchanged.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../credentials/memory-store';
import {
  makeClientKeys,
  sshdHosts,
  startSshdHost,
  type ClientKeys,
  type SshdHost,
} from '../testing/sshd-host';
import { openSsh } from './connect';
import { checkHostKey, trustHostKey } from './host-key-check';
import { HostKeyStore } from './host-keys';
import { fingerprintOf } from './known-hosts';
import { appErrorOf } from '../../../../test/app-error-of';

const hosts = sshdHosts();

it(`has ${hosts.name} (required in CI)`, () => hosts.check());

describe.runIf(hosts.run)('host keys confirmed once, changed keys refused (real sshd)', () => {
  let keys: ClientKeys;
  let host: SshdHost;
  let work: string;
  let store: HostKeyStore;
  let appFile: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mr-host-key-check-'));
    keys = await makeClientKeys();
    host = await startSshdHost(keys);
    appFile = join(work, 'known_hosts');
    store = new HostKeyStore({ appFile, userFiles: [] });
  }, 120_000);

  afterAll(async () => {
    await host?.stop();
    await keys?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  const login = () =>
    openSsh(
      { host: host.host, port: host.port, username: 'nopass', auth: { method: 'key', keyPath: keys.plain } },
      { secrets: new MemorySecretStore(), hostKeys: store },
    );

  it('shows a new key, remembers it only with its fingerprint, then logs in without asking', async () => {
    const hop = { host: host.host, port: host.port };
    const fingerprint = fingerprintOf(host.hostKeyBlob);
    const first = await checkHostKey(store, hop);
    expect(first).toMatchObject({ status: 'unknown', keyType: 'ssh-ed25519', fingerprint, known: [] });
    expect(first.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    await expect(readFile(appFile, 'utf8')).rejects.toThrow(/ENOENT/);
    expect((await appErrorOf(login())).code).toBe('SSH_HOST_KEY_UNKNOWN');

    // Another fingerprint than the host's: refused, nothing written.
    const wrong = `SHA256:${'A'.repeat(43)}`;
    const refused = await appErrorOf(trustHostKey(store, hop, wrong));
    expect(refused.code).toBe('SSH_HOST_KEY_MISMATCH');
    expect(refused.message).toContain(fingerprint);
    await expect(readFile(appFile, 'utf8')).rejects.toThrow(/ENOENT/);

    expect(await trustHostKey(store, hop, fingerprint)).toMatchObject({ status: 'known', fingerprint });
    expect(await checkHostKey(store, hop)).toMatchObject({ status: 'known' });
    const connection = await login();
    connection.close();
  });

  it('refuses a changed key with both fingerprints and never remembers it', async () => {
    const hop = { host: host.host, port: host.port };
    const old = fingerprintOf(host.hostKeyBlob);
    const before = await readFile(appFile, 'utf8');
    await host.rotateHostKey();
    const now = fingerprintOf(host.hostKeyBlob);
    const check = await checkHostKey(store, hop);
    expect(check).toMatchObject({ status: 'changed', fingerprint: now });
    expect(check.known.map((k) => k.fingerprint)).toEqual([old]);
    expect(check.message).toContain(old);
    expect(check.message).toContain(now);
    const refused = await appErrorOf(trustHostKey(store, hop, now));
    expect(refused.code).toBe('SSH_HOST_KEY_MISMATCH');
    expect(refused.message).toContain(old);
    expect(await readFile(appFile, 'utf8')).toBe(before);
    expect((await appErrorOf(login())).code).toBe('SSH_HOST_KEY_MISMATCH');
  });
});

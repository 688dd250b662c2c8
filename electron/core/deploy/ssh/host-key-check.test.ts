/**
 * The host-key contract's decision (deploy:host-key, deploy ssh --accept-host-key) on files of this
 * test: a key listed in the responder's known_hosts or the app's file is known, one never seen is
 * unknown with its type and fingerprint, a different key listed for the host is a change that names
 * both fingerprints and where the old one is, a revoked key is a change too. The probe of a real sshd
 * is in host-key-check.int.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostKeyCheck } from '../../../../shared/contracts/deploy';
import { hostKeyStatus } from './host-key-check';
import { HostKeyStore, type PresentedHostKey } from './host-keys';
import { blobKeyType, fingerprintOf, knownHostsLine } from './known-hosts';

/** An ssh-ed25519 public key blob as a host presents it (RFC 8709: string type, string key). */
function ed25519Blob(): Buffer {
  const type = Buffer.from('ssh-ed25519');
  const key = randomBytes(32);
  const len = (n: number) => Buffer.from([0, 0, 0, n]);
  return Buffer.concat([len(type.length), type, len(key.length), key]);
}

const presented = (host: string, port: number, blob: Buffer): PresentedHostKey => ({
  host,
  port,
  keyType: blobKeyType(blob),
  fingerprint: fingerprintOf(blob),
  blob,
});

describe('host key status', () => {
  let dir: string;
  let userFile: string;
  let store: HostKeyStore;
  const listed = ed25519Blob();
  const other = ed25519Blob();
  const revoked = ed25519Blob();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mr-host-key-status-'));
    userFile = join(dir, 'known_hosts');
    await writeFile(
      userFile,
      [
        knownHostsLine('ir.example.org', 22, listed),
        knownHostsLine('old.example.org', 2222, listed, { hashed: false }),
        `@revoked ${knownHostsLine('bad.example.org', 22, revoked, { hashed: false })}`,
      ].join('\n'),
    );
    store = new HostKeyStore({ appFile: join(dir, 'app_known_hosts'), userFiles: [userFile] });
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a listed key is known', async () => {
    const check = await hostKeyStatus(store, presented('ir.example.org', 22, listed));
    expect(HostKeyCheck.parse(check)).toMatchObject({ status: 'known', keyType: 'ssh-ed25519' });
  });

  it('a key never seen is unknown, with its type and SHA256 fingerprint, and is not remembered', async () => {
    const check = await hostKeyStatus(store, presented('new.example.org', 22, other));
    expect(check).toMatchObject({
      status: 'unknown',
      keyType: 'ssh-ed25519',
      fingerprint: fingerprintOf(other),
      known: [],
    });
    expect(check.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    await expect(readFile(join(dir, 'app_known_hosts'))).rejects.toThrow(/ENOENT/);
  });

  it('another key for a known host is a change naming both fingerprints and the old key’s place', async () => {
    const check = await hostKeyStatus(store, presented('old.example.org', 2222, other));
    expect(check.status).toBe('changed');
    expect(check.known).toEqual([
      { keyType: 'ssh-ed25519', fingerprint: fingerprintOf(listed), source: userFile, line: 2 },
    ]);
    expect(check.message).toContain(fingerprintOf(listed));
    expect(check.message).toContain(fingerprintOf(other));
    expect(check.message).toContain("ssh-keygen -R '[old.example.org]:2222'");
  });

  it('a revoked key is refused as a change', async () => {
    const check = await hostKeyStatus(store, presented('bad.example.org', 22, revoked));
    expect(check.status).toBe('changed');
    expect(check.message).toMatch(/marked revoked/);
  });
});

/** Imported connections appear in the credential index under the keychain entry the registry wrote. */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialService } from '../credentials/credential-service';
import type { EnumerableSecretStore } from '../credentials/secret-store';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { ConnectionManager } from './connections';
import { clientCertFingerprint, connectionCredentials } from './credential-records';
import { KeychainSecrets } from './keychain-adapter';

class MemoryStore implements EnumerableSecretStore {
  readonly backend = 'memory';
  readonly data = new Map<string, string>();
  get(ref: string) {
    return Promise.resolve(this.data.get(ref));
  }
  set(ref: string, value: string) {
    this.data.set(ref, value);
    return Promise.resolve();
  }
  delete(ref: string) {
    this.data.delete(ref);
    return Promise.resolve();
  }
  listRefs() {
    return Promise.resolve([...this.data.keys()]);
  }
}

let sim: RunningSimulator;
let dir: string;
let yaml: string;
let store: MemoryStore;
let creds: CredentialService;
let manager: ConnectionManager;

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1' });
  yaml = await sim.mintApiConfig('cred-user', ['investigator'], { validityDays: 20 });
  dir = await mkdtemp(join(tmpdir(), 'mr-conn-creds-'));
  store = new MemoryStore();
  creds = new CredentialService({
    indexPath: join(dir, 'credentials.json'),
    vaultPath: join(dir, 'vault.json'),
    keychain: store,
    probe: () => Promise.resolve({ available: true, backend: 'memory' }),
  });
  manager = new ConnectionManager({
    dataDir: dir,
    secrets: () => Promise.resolve(new KeychainSecrets(creds.store)),
    demo: () => Promise.reject(new Error('no demo here')),
    credentials: connectionCredentials(creds),
  });
});

afterAll(async () => {
  await manager.dispose();
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('connection credentials', () => {
  it('a keychain import is listed: api-config, owner, cert notAfter (expiring soon), cert fingerprint, same keychain entry', async () => {
    const info = await manager.import({ name: 'lab server', yaml, storage: 'keychain' });
    const { items } = await creds.list();
    expect(items).toHaveLength(1);
    const item = items[0]!;
    const cert = new X509Certificate((parse(yaml) as { client_cert: string }).client_cert);
    expect(item).toMatchObject({ kind: 'api-config', owner: { serverName: 'lab server' }, expiresAt: info.certNotAfter, fingerprint: cert.fingerprint256, expiringSoon: true, expired: false });
    expect(item.name).toContain('lab server');
    // The entry names the very keychain account holding the config: reveal returns it, repair has nothing to fix.
    expect(store.data.get(item.id)).toBe(yaml);
    expect((await creds.reveal(item.id, true)).value).toBe(yaml);
    expect((await creds.repair({ dryRun: true })).findings).toEqual([]);
  });

  it('a session import is not a stored credential', async () => {
    await manager.import({ name: 'temp', yaml, storage: 'session' });
    expect((await creds.list()).items.map((i) => i.owner.serverName)).toEqual(['lab server']);
  });

  it('removing the connection removes its secret and its entry', async () => {
    expect(await manager.remove('lab server')).toBe(true);
    expect((await creds.list()).total).toBe(0);
    expect(store.data.size).toBe(0);
    expect((await creds.repair({ dryRun: true })).findings).toEqual([]);
  });

  it('fingerprint is null for a config without a readable client_cert', () => {
    expect(clientCertFingerprint('client_cert: nope\n')).toBeNull();
    expect(clientCertFingerprint(': : :')).toBeNull();
  });
});
